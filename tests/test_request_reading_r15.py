"""Round 15: a sentence that hands work to someone else does not decide the workflow; "deploy a
fine-tuned LLM" asks for serving; an integration ask about "what we already have" is still an ask;
a line break ends a sentence; the current bill in German is not a budget; several cloud regions,
"150+ models" and a student's solo work are read. Requests written for these tests."""

from __future__ import annotations

import pytest
from mlarchitect.agents.api import design
from mlarchitect.agents.intake.extract import extract_requirements
from mlarchitect.agents.routing import named_prior, without_delegated
from mlarchitect.agents.scope import in_domain
from mlarchitect.config import Settings
from mlarchitect.render_markdown import render_markdown

from support.reading import _loaded, handoffs, route


@pytest.mark.parametrize(("text", "workflow"), [
    ("Serve a fine-tuned Qwen 14B for radiology report drafting in our clinic network. "
     "Please get the patient-data handling reviewed by someone who knows the law.", "model_serving"),
    ("A chatbot over our 3,000 maintenance manuals for the hangar crew. "
     "Someone should also build the eval harness and the CI gate for it.", "rag_system"),
])
def test_a_sentence_handing_work_to_someone_else_does_not_decide_the_workflow(text: str, workflow: str) -> None:
    assert route(text) == workflow


def test_only_sentences_that_hand_work_on_are_left_out() -> None:
    kept = without_delegated("Serve our churn model behind an API. Have someone threat-model the endpoint and "
                             "review the PII it logs.")
    assert kept == "Serve our churn model behind an API."
    # nothing else to route on: the request stays whole
    whole = "Have someone threat-model our model endpoint."
    assert without_delegated(whole) == whole
    # a sentence with no one to hand the work to stays
    plain = "Serve our churn model behind an API. Threat-model it too."
    assert without_delegated(plain) == plain


@pytest.mark.parametrize(("text", "asked"), [
    ("Deploy a fine-tuned LLM that drafts discharge letters.", True),
    ("We need to serve two gradient-boosting models to the checkout service.", True),
    ("We already deploy our models with KServe; we need an evaluation system for them.", False),
])
def test_an_action_on_a_model_asks_for_serving(text: str, asked: bool) -> None:
    _, architect, skills = _loaded()
    leads = {w.id: skills.leading(w.id) for w in architect.workflows}
    prior = named_prior(text, {w: s for w, s in leads.items() if s is not None})
    assert ("model_serving" in prior) is asked


def test_an_integration_ask_about_what_we_already_have_is_an_ask() -> None:
    asked = handoffs("A support chatbot over our 2,000 product guides. And show how it slots into what we "
                     "already have: Zendesk, a RabbitMQ bus and Okta.")
    assert "system-architect" in asked
    # work that is done already is still no ask
    assert handoffs("A support chatbot over our 2,000 product guides. The security review is already done.") == []


def test_a_line_break_ends_a_sentence_for_the_handoffs() -> None:
    asked = handoffs("Invoice field extraction with an LLM, we need a real eval:\n- 800 labelled invoices\n"
                     "- F1 per field, not one number\n- block merges in CI if F1 drops by more than 1 point\n"
                     "Please build the harness and the CI gate too.")
    assert asked == ["evaluation-engineer"]


def test_an_assistant_that_an_app_calls_is_about_ml() -> None:
    assert in_domain("An assistant that answers passenger questions from our PDF conditions of carriage, for the app.")
    assert not in_domain("Fix the login page of our booking app.")


@pytest.mark.parametrize(("text", "spend"), [
    ("Aktuell zahlen wir für OpenAI, die Rechnung liegt bei 9.000 € im Monat. Bitte günstiger machen.", 9000),
    ("Actualmente pagamos 4.000 € al mes a nuestro proveedor de LLM.", 4000),
    # euros grouped by dots are thousands in a request of no recognised language too
    ("Today we pay 4.000 € a month for hosted LLM calls.", 4000),
    # "ca." does not end the sentence that says it is the bill
    ("Unsere Snowflake-Rechnung liegt derzeit bei ca. 11.000 €/Monat.", 11000),
])
def test_a_bill_in_another_language_is_a_spend_not_a_budget(text: str, spend: float) -> None:
    req = extract_requirements(text)
    assert req.monthly_budget_usd is None
    assert req.current_monthly_spend_usd is not None
    assert req.current_monthly_spend_usd.value == pytest.approx(spend * 1.08, rel=0.02)  # the bundled EUR rate


def test_several_cloud_regions_are_all_kept(settings: Settings) -> None:
    text = "Fraud scoring model, 3,000 QPS at peak, p99 under 30 ms, active-active on AWS in us-west-2 and eu-central-1."
    req = extract_requirements(text)
    assert req.cloud_region is not None and req.cloud_region.value == "us-west-2 and eu-central-1"
    markdown = render_markdown(design(text, settings=settings))
    assert "us-west-2" in markdown and "eu-central-1" in markdown


@pytest.mark.parametrize(("text", "field", "value"), [
    ("An insurer with 200+ pricing and reserving models needs one validation platform.", "model_count", 200),
    ("student here, trained a small CNN on my own photos, how should I evaluate it?", "team_size", 1),
    ("I'm a master's student comparing three retrievers for my thesis.", "team_size", 1),
])
def test_counts_of_models_and_a_student_s_solo_work_are_read(text: str, field: str, value: int) -> None:
    fact = getattr(extract_requirements(text), field)
    assert fact is not None and fact.value == value


def test_a_platform_serving_students_is_not_run_by_one_student() -> None:
    assert extract_requirements("A tutoring bot that 5,000 students use before exams.").team_size is None
