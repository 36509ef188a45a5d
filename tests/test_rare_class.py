"""A rare class to find (defects, fraud, churners) changes how a model is judged: the share stated in the
request sizes the test set and shows what a small false-positive rate does to precision; a classic model is
judged by what it predicts (boxes for a detector). Requests written for these tests."""

from __future__ import annotations

import pytest
from mlarchitect.agents.api import design
from mlarchitect.agents.intake.extract import extract_requirements
from mlarchitect.config import Settings
from mlarchitect.render_markdown import render_markdown
from mlarchitect.skills.evaluation_metrics.tools import RareClassArgs, plan_rare_class_test_set


@pytest.mark.parametrize(("text", "share"), [
    ("Welds crack rarely (~0.4% of seams), and the inspectors want to trust the model.", 0.004),
    ("chargebacks: fraud is about 0.15% of card payments", 0.0015),
    ("Roughly one in 800 invoices turns out to be fraudulent.", 0.00125),
    ("1.5% of all machines are faulty after a year", 0.015),
    ("our monthly churn rate is 3%", 0.03),
])
def test_the_rare_class_share_is_read_from_its_own_clause(text: str, share: float) -> None:
    fact = extract_requirements(text).positive_rate
    assert fact is not None and fact.stated and fact.value == pytest.approx(share)


@pytest.mark.parametrize("text", [
    "We want to cut fraud losses by 12% this year.",  # a change, not a share
    "Recall of 92% on fraudulent orders is the bar.",  # a target, above any rare share
    "CTR sits at 4% and we want to detect a 3% relative lift.",  # an A/B test
    "Spam filtering for 2M emails a day with BERT.",  # no share stated
])
def test_changes_targets_and_other_percentages_are_no_rare_class_share(text: str) -> None:
    assert extract_requirements(text).positive_rate is None


def test_the_test_set_and_precision_follow_from_the_share() -> None:
    result = plan_rare_class_test_set(RareClassArgs(positive_rate=0.002, stated_inputs=["positive_rate"]))
    calcs = {c.name: c for c in result.calculations}
    assert calcs["Positives to read recall"].value == 139  # 1.96² × 0.9 × 0.1 ÷ 0.05²
    assert calcs["Test items at the rare-class share"].value == 69_500  # 139 ÷ 0.2%
    assert calcs["Precision at the threshold"].value == pytest.approx(15.3, abs=0.1)  # 0.9×0.2% ÷ (…+1%×99.8%)
    assert calcs["Test items at the rare-class share"].from_request == ["positive_rate"]
    assert calcs["Positives to read recall"].from_request == []  # recall and margin are assumed


def test_a_detector_with_rare_defects_is_judged_on_boxes_and_rare_class_figures(settings: Settings) -> None:
    request = ("We need an evaluation system for our YOLOv8 model that finds cracks on turbine blades in borescope images. "
               "Cracks are rare, about 0.5% of images. Everything runs on-prem.")
    d = design(request, settings=settings)
    assert d.workflow == "evaluation_system"
    metrics = "\n".join(d.evaluation_framework.offline_metrics)
    assert "mAP" in metrics and "false alarms per 1,000 images" in metrics
    assert "27,800 items" in metrics  # 139 positives ÷ 0.5%
    assert "macro-F1" not in metrics  # a classifier's metric, not a detector's
    markdown = render_markdown(d)
    assert "the candidate YOLO model" in markdown
    assert "the stated constraint" not in markdown


def test_without_a_share_there_is_no_rare_class_sizing(settings: Settings) -> None:
    d = design("Evaluation for our XGBoost churn model; results per region, please.", settings=settings)
    assert not any("positives" in line for line in d.evaluation_framework.offline_metrics)
    markdown = render_markdown(d)
    assert "the stated constraint" not in markdown and "candidate  model" not in markdown
