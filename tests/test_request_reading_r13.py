"""Round 13: what the team already runs and names (hosting, identity, secrets, CI, tuning) appears in
the design as reused, unless the request leaves it, wishes for it or asks about it; scans get OCR; a
source the data sits in is named. Requests written for these tests."""

from __future__ import annotations

import pytest
from mlarchitect.agents.api import design
from mlarchitect.agents.offline.composer import _teams_platform
from mlarchitect.agents.intake.extract import extract_requirements
from mlarchitect.config import Settings

PLATFORM = "The team's existing platform"


def test_named_tools_are_read_as_the_teams_stack() -> None:
    req = extract_requirements("Our models run on OVHcloud; secrets sit in HashiCorp Vault, sign-in is Keycloak, "
                               "and CI is Jenkins. Sweeps use Optuna.")
    assert {"ovhcloud", "vault", "keycloak", "jenkins", "optuna"} <= req.stack()
    # a vault that is no product is not read as one
    assert "vault" not in extract_requirements("a document vault of 8,000 contracts for a RAG assistant").stack()


@pytest.mark.parametrize("text", [
    "Need something like W&B for our runs but we can't pay for it.",
    "Should we use Kafka or Kinesis for the event feed?",
])
def test_a_tool_wished_for_or_asked_about_is_not_listed_as_the_teams(text: str) -> None:
    assert _teams_platform(text, extract_requirements(text), []) == []


def test_the_design_names_what_the_team_runs_and_not_what_it_leaves(settings: Settings) -> None:
    d = design("Design experiment tracking for 12 researchers. Everything runs on our OpenShift cluster, secrets "
               "live in HashiCorp Vault and logins go through Okta. We are moving off Jenkins.",
               settings=settings)
    platform = [c for c in d.components if c.name == PLATFORM]
    assert platform, [c.name for c in d.components]
    tech = platform[0].technology
    assert "OpenShift" in tech and "HashiCorp Vault" in tech and "Okta" in tech
    assert "Jenkins" not in tech


def test_no_platform_component_when_the_design_already_names_the_stack(settings: Settings) -> None:
    d = design("We already run MLflow. Design experiment tracking for 5 data scientists around it.",
               settings=settings)
    assert any("mlflow" in c.technology.lower() for c in d.components)
    assert not [c for c in d.components if c.name == PLATFORM]


@pytest.mark.parametrize("text", [
    "A question-answering assistant over 40,000 inspection PDFs; many are scans with handwritten remarks.",
    "Assistent für 12.000 Lieferverträge als PDF, teilweise eingescannt.",
    "Assistant sur 9 000 contrats PDF, souvent scannés.",
])
def test_scans_are_read_and_get_an_ocr_stage(text: str) -> None:
    from support.reading import components

    assert "scanned" in extract_requirements(text).document_types
    chosen = " ".join(f"{name} {tech}" for name, tech in components("mlarchitect.skills.rag_design", "rag_system", text).items())
    assert "ocr" in chosen.lower(), chosen


def test_a_source_the_data_sits_in_is_read_and_named_in_the_pipeline() -> None:
    from mlarchitect.agents.intake.assume import with_assumptions
    from mlarchitect.skills.architecture import adapt_architecture

    text = "Our orders and returns data sits in one MySQL database. Build daily training tables for a returns model."
    req = extract_requirements(text)
    assert [(f.value, f.quote) for f in req.data_sources] == [("database", "MySQL")]
    arch = adapt_architecture("mlarchitect.skills.data_pipeline", with_assumptions(req, "data_pipeline"), request=text)
    assert any("MySQL" in line for line in arch["pipeline"]["ingestion"]), arch["pipeline"]["ingestion"]
