"""Up to three short questions when a first request leaves scale, budget or
deployment open (the chat only; one-shot ``design`` never asks)."""

from __future__ import annotations

import re

SCALE_FACTS = ("requests_per_second", "requests_per_day", "users", "documents", "events_per_day",
               "data_volume_gb", "team_size")
_DEPLOYMENT = re.compile(
    r"\b(aws|gcp|azure|google cloud|cloud|on[- ]?prem\w*|self[- ]?host\w*|kubernetes|k8s|vpc|edge|serverless|"
    r"laptop|air[- ]?gapped|data ?cent(er|re)|managed api|openai api|bedrock|vertex|sagemaker)\b", re.I)
SKIP = {"skip", "no", "none", "go", "go ahead", "just design", "n/a", "-"}

QUESTIONS = {
    "scale": "What scale should it handle: requests per second or per day, users, documents?",
    "budget": "Is there a monthly budget (USD)?",
    "deployment": "Where will it run: a cloud (AWS, GCP, Azure), on-premises, or a hosted model API?",
}


def open_points(request: str) -> list[str]:
    """Which of scale, budget and deployment the request leaves open."""
    from mlarchitect.agents.request_facts import extract_facts

    facts = extract_facts(request)
    missing = []
    if not any(facts.stated(name) for name in SCALE_FACTS):
        missing.append("scale")
    if not facts.stated("monthly_budget_usd"):
        missing.append("budget")
    if not _DEPLOYMENT.search(request):
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
