"""Up to three short questions when a first request leaves scale, budget or
deployment open (the chat only; one-shot ``design`` never asks)."""

from __future__ import annotations

SCALE_FACTS = ("peak_rps", "requests_per_day", "users", "corpus", "batch_volume", "events_per_day",
               "data_volume_gb", "data_volume_gb_per_day", "team_size")
WHERE_FACTS = ("deployment", "cloud", "no_external_apis", "stack_only", "existing_stack")
SKIP = {"skip", "no", "none", "go", "go ahead", "just design", "n/a", "-"}

QUESTIONS = {
    "scale": "What scale should it handle: requests per second or per day, users, documents?",
    "budget": "Is there a monthly budget (USD)?",
    "deployment": "Where will it run: a cloud (AWS, GCP, Azure), on-premises, or a hosted model API?",
}


def open_points(request: str) -> list[str]:
    """Which of scale, budget and deployment the request leaves open."""
    from mlarchitect.agents.intake.extract import extract_requirements

    stated = {name for name, _ in extract_requirements(request).stated_facts()}
    missing = []
    if not any(name in stated for name in SCALE_FACTS):
        missing.append("scale")
    if "monthly_budget_usd" not in stated and "current_monthly_spend_usd" not in stated:
        missing.append("budget")
    if not any(name in stated for name in WHERE_FACTS):
        missing.append("deployment")
    return missing


def questions_markdown(missing: list[str]) -> str:
    items = "\n".join(f"{n}. {QUESTIONS[key]}" for n, key in enumerate(missing, start=1))
    return (f"Before I design it, {'a question' if len(missing) == 1 else 'a few questions'}:\n\n{items}\n\n"
            "Answer in one message, or reply **skip** to design with stated assumptions.")


def combine(request: str, answer: str) -> str:
    """The request the design turn runs: the first message plus the answers."""
    if answer.strip().lower().rstrip(".!") in SKIP:
        return request
    return f"{request.rstrip()}\n\nAnswers to the architect's questions: {answer.strip()}"
