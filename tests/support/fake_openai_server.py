"""A small OpenAI-compatible Chat Completions server with scripted answers.

Used to record the cassettes in ``tests/cassettes`` (see
``record_cassettes.py``) and, with a ``responder`` instead of a script, as the
live server of ``tests/test_model_path.py`` (``scenarios.py`` holds the
behaviours of the servers it plays). It answers
``POST /v1/chat/completions`` with the next scripted ``Reply``, in the wire
format of the official API: a ``chat.completion`` JSON object, a
``text/event-stream`` of ``chat.completion.chunk`` events when the request
asks for ``"stream": true``, or an OpenAI error object for a failure status.
Headers follow the official API's (request id, rate limits, processing time,
Cloudflare) and every id, timestamp and date is derived from the cassette name
and the call number, so a re-recording is byte-for-byte reproducible.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

EPOCH = 1_757_412_000  # 2025-09-09T10:00:00Z: the recordings' fixed clock
SNAPSHOTS = {"gpt-5-mini": "gpt-5-mini-2025-08-07", "gpt-5": "gpt-5-2025-08-07", "gpt-5-nano": "gpt-5-nano-2025-08-07",
             "gpt-4o-mini": "gpt-4o-mini-2024-07-18", "gpt-4.1-mini": "gpt-4.1-mini-2025-04-14"}
PROJECT = "proj_Xk3mQ8vR2nT5wYb7LcJ9dF4h"  # a made-up project id, the same in every recording
ERRORS = {
    500: ("The server had an error while processing your request. Sorry about that!", "server_error"),
    503: ("The engine is currently overloaded, please try again later.", "server_error"),
    429: ("Rate limit reached for requests. Please try again in 1s.", "requests"),
}


@dataclass
class Reply:
    """One scripted answer: text, tool calls (name, arguments), or an HTTP error."""

    content: str | None = None
    tool_calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    status: int = 200
    completion_tokens: int | None = None  # default: estimated from the answer's length
    reasoning_tokens: int = 0
    stream_pieces: list[str] | None = None  # how a streamed content is split into deltas
    check: Callable[[dict[str, Any]], None] | None = None  # asserts on the request body
    error: dict[str, Any] | None = None  # the error object of a failure status (default: the API's wording)
    headers: dict[str, str] = field(default_factory=dict)  # extra response headers (e.g. retry-after)
    usage: bool = True  # False: the answer carries no usage (some OpenAI-compatible servers)
    finish_reason: str | None = None  # default: "tool_calls" with tool calls, else "stop"


def estimate_tokens(text: str) -> int:
    return max(1, round(len(text) / 4))


class FakeOpenAI:
    """The scripted server: ``with FakeOpenAI("name", [Reply(...), ...]) as api: api.base_url``."""

    def __init__(self, name: str, script: list[Reply], *,
                 responder: Callable[[dict[str, Any], int], Reply] | None = None,
                 models: list[str] | None = None) -> None:
        self.name = name
        self.script = list(script)
        self.responder = responder  # answers every request (instead of the script) when set
        self.models = models  # GET /v1/models lists these (None: 404 like before)
        self.usages: dict[int, dict[str, Any]] = {}  # request index -> the usage reported
        self.requests: list[dict[str, Any]] = []
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- lifecycle --------------------------------------------------------------

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def assert_done(self) -> None:
        """Every scripted reply was used and every request passed its check."""
        if self.errors:
            raise AssertionError(f"{self.name}: {'; '.join(self.errors)}")
        if len(self.requests) != len(self.script):
            raise AssertionError(f"{self.name}: {len(self.script)} replies scripted, "
                                 f"{len(self.requests)} requests made")

    # -- answers ----------------------------------------------------------------

    def _ident(self, kind: str, index: int, length: int) -> str:
        """A deterministic id part in the API's alphabet (letters and digits)."""
        digest = hashlib.sha256(f"{self.name}:{index}:{kind}".encode()).digest()
        alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
        return "".join(alphabet[b % 62] for b in (digest * 2)[:length])

    def _hex(self, kind: str, index: int, length: int) -> str:
        return hashlib.sha256(f"{self.name}:{index}:{kind}".encode()).hexdigest()[:length]

    def call_id(self, index: int, n: int = 0) -> str:
        """The id of tool call ``n`` in the answer to request ``index`` (0-based)."""
        return "call_" + self._ident(f"call{n}", index, 24)

    def _next(self, body: dict[str, Any]) -> tuple[int, Reply]:
        with self._lock:
            index = len(self.requests)
            self.requests.append(body)
        if self.responder is not None:
            try:
                return index, self.responder(body, index)
            except AssertionError as exc:
                self.errors.append(f"request #{index + 1}: {exc}")
                return index, Reply(status=500)
        if index >= len(self.script):
            self.errors.append(f"unexpected request #{index + 1}")
            return index, Reply(status=500)
        reply = self.script[index]
        if reply.check is not None:
            try:
                reply.check(body)
            except AssertionError as exc:
                self.errors.append(f"request #{index + 1}: {exc}")
        return index, reply

    def _headers(self, index: int, elapsed_ms: int, content_type: str) -> list[tuple[str, str]]:
        ray = self._hex("ray", index, 16)
        return [
            ("date", formatdate(EPOCH + 60 * index + 1, usegmt=True)),
            ("content-type", content_type),
            ("connection", "keep-alive"),
            ("access-control-expose-headers", "X-Request-ID"),
            ("openai-organization", "mlarchitect-ci"),
            ("openai-processing-ms", str(elapsed_ms)),
            ("openai-project", PROJECT),
            ("openai-version", "2020-10-01"),
            ("x-envoy-upstream-service-time", str(elapsed_ms + 14)),
            ("x-ratelimit-limit-requests", "5000"),
            ("x-ratelimit-limit-tokens", "4000000"),
            ("x-ratelimit-remaining-requests", "4999"),
            ("x-ratelimit-remaining-tokens", "3996521"),
            ("x-ratelimit-reset-requests", "12ms"),
            ("x-ratelimit-reset-tokens", "52ms"),
            ("x-request-id", "req_" + self._hex("request", index, 32)),
            ("cf-cache-status", "DYNAMIC"),
            ("strict-transport-security", "max-age=31536000; includeSubDomains; preload"),
            ("x-content-type-options", "nosniff"),
            ("server", "cloudflare"),
            ("cf-ray", f"{ray}-AMS"),
            ("alt-svc", 'h3=":443"; ma=86400'),
        ]

    def _tool_calls(self, index: int, reply: Reply) -> list[dict[str, Any]]:
        return [
            {
                "id": self.call_id(index, n),
                "type": "function",
                "function": {"name": name, "arguments": args if isinstance(args, str)  # str: sent as is (malformed)
                             else json.dumps(args, separators=(",", ":"), ensure_ascii=False)},
            }
            for n, (name, args) in enumerate(reply.tool_calls)
        ]

    def _usage(self, body: dict[str, Any], reply: Reply, answer: str) -> dict[str, Any]:
        prompt = estimate_tokens(json.dumps(body.get("messages", [])) + json.dumps(body.get("tools", [])))
        completion = (reply.completion_tokens or estimate_tokens(answer)) + reply.reasoning_tokens
        return {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": reply.reasoning_tokens, "audio_tokens": 0,
                                          "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0},
        }

    def completion(self, index: int, body: dict[str, Any], reply: Reply) -> dict[str, Any]:
        calls = self._tool_calls(index, reply)
        answer = (reply.content or "") + "".join(c["function"]["name"] + c["function"]["arguments"] for c in calls)
        message: dict[str, Any] = {"role": "assistant", "content": reply.content, "refusal": None, "annotations": []}
        if calls:
            message["tool_calls"] = calls
        return {
            "id": "chatcmpl-" + self._ident("id", index, 29),
            "object": "chat.completion",
            "created": EPOCH + 60 * index,
            "model": SNAPSHOTS.get(body.get("model", ""), body.get("model", "")),
            "choices": [{"index": 0, "message": message, "logprobs": None,
                         "finish_reason": reply.finish_reason or ("tool_calls" if calls else "stop")}],
            "usage": self._record_usage(index, body, reply, answer),
            "service_tier": "default",
            "system_fingerprint": None,
        }

    def _record_usage(self, index: int, body: dict[str, Any], reply: Reply, answer: str) -> dict[str, Any] | None:
        if not reply.usage:
            return None
        usage = self._usage(body, reply, answer)
        self.usages[index] = usage
        return usage

    def chunks(self, index: int, body: dict[str, Any], reply: Reply) -> list[dict[str, Any]]:
        base = {"id": "chatcmpl-" + self._ident("id", index, 29), "object": "chat.completion.chunk",
                "created": EPOCH + 60 * index, "model": SNAPSHOTS.get(body.get("model", ""), body.get("model", "")),
                "service_tier": "default", "system_fingerprint": None}
        with_usage = bool((body.get("stream_options") or {}).get("include_usage"))

        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            out = {**base, "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}
            if with_usage:
                out["usage"] = None
            return out

        events = [chunk({"role": "assistant", "content": "", "refusal": None})]
        text = reply.content or ""
        for piece in reply.stream_pieces or ([text] if text else []):
            events.append(chunk({"content": piece}))
        for n, call in enumerate(self._tool_calls(index, reply)):
            events.append(chunk({"tool_calls": [{"index": n, "id": call["id"], "type": "function",
                                                 "function": {"name": call["function"]["name"], "arguments": ""}}]}))
            arguments = call["function"]["arguments"]
            events.append(chunk({"tool_calls": [{"index": n, "function": {"arguments": arguments}}]}))
        events.append(chunk({}, "tool_calls" if reply.tool_calls else "stop"))
        if with_usage and reply.usage:
            events.append({**base, "choices": [], "usage": self._record_usage(index, body, reply, text)})
        return events

    def error(self, status: int, custom: dict[str, Any] | None = None) -> dict[str, Any]:
        if custom is not None:
            return {"error": {"message": "", "type": "invalid_request_error", "param": None, "code": None, **custom}}
        message, kind = ERRORS.get(status, (HTTPStatus(status).phrase, "server_error"))
        return {"error": {"message": message, "type": kind, "param": None, "code": None}}

    # -- HTTP -------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                if self.path.rstrip("/") == "/v1/models" and api.models is not None:
                    data = [{"id": m, "object": "model", "created": EPOCH, "owned_by": "mlarchitect-ci"}
                            for m in api.models]
                    self._send(200, self._json({"object": "list", "data": data}), "application/json", 0)
                    return
                self._send(404, self._json({"error": {"message": f"Invalid URL (GET {self.path})",
                                                      "type": "invalid_request_error", "param": None,
                                                      "code": None}}), "application/json", 0)

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                if self.path.rstrip("/") != "/v1/chat/completions":
                    self._send(404, self._json({"error": {"message": f"Invalid URL (POST {self.path})",
                                                          "type": "invalid_request_error", "param": None,
                                                          "code": None}}), "application/json", 0)
                    return
                body = json.loads(raw or b"{}")
                index, reply = api._next(body)
                elapsed = 300 + int(api._hex("ms", index, 4), 16) % 1500
                if reply.status != 200:
                    self._send(reply.status, self._json(api.error(reply.status, reply.error)),
                               "application/json; charset=utf-8", index, elapsed, reply.headers)
                elif body.get("stream"):
                    events = [f"data: {json.dumps(c, separators=(',', ':'), ensure_ascii=False)}\n\n".encode()
                              for c in api.chunks(index, body, reply)]
                    self._send_stream([*events, b"data: [DONE]\n\n"], index, elapsed)
                else:
                    self._send(200, self._json(api.completion(index, body, reply)), "application/json", index, elapsed)

            @staticmethod
            def _json(payload: dict[str, Any]) -> bytes:
                return (json.dumps(payload, indent=2, ensure_ascii=False) + "\n").encode()

            def _send(self, status: int, data: bytes, content_type: str, index: int, elapsed: int = 0,
                      extra: dict[str, str] | None = None) -> None:
                self.send_response_only(status)
                for name, value in [*api._headers(index, elapsed, content_type), *(extra or {}).items()]:
                    self.send_header(name, value)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _send_stream(self, events: list[bytes], index: int, elapsed: int) -> None:
                """Server-sent events, one HTTP chunk each, as the official API streams them."""
                self.send_response_only(200)
                for name, value in api._headers(index, elapsed, "text/event-stream; charset=utf-8"):
                    self.send_header(name, value)
                self.send_header("transfer-encoding", "chunked")
                self.end_headers()
                for event in events:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
                    self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")

        return Handler
