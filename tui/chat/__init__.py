"""``design chat``: the interactive terminal chat (Textual).

Import :class:`mlarchitect.tui.chat.app.ChatApp` for the app itself; the click
command is :data:`mlarchitect.tui.chat.command.chat`.
"""
