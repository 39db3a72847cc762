from __future__ import annotations

from datetime import date

from kirok.domain.records import Confidentiality, CustodyStep, RefugeeCase
from kirok.domain.refugee import (
    alert_on_change,
    assess_risk,
    current_step,
    order_steps,
    validate_case,
    validate_path,
)

TODAY = date(2025, 3, 1)


def case(status: str, *steps: CustodyStep) -> RefugeeCase:
    return RefugeeCase(person_id="p1", status=status, steps=list(steps))


ARREST = CustodyStep(stage="arrest_china", start_date="2025-01-10", end_date="2025-01-11")
DETAINED = CustodyStep(stage="detention_china", start_date="2025-01-11")


def test_order_by_stage_then_date() -> None:
    kyohwaso = CustodyStep(stage="kyohwaso", start_date="2025-06")
    mss = CustodyStep(stage="mss_holding", start_date="2025-03", end_date="2025-05")
    ordered = order_steps([kyohwaso, DETAINED, mss, ARREST])
    assert [s.stage for s in ordered] == [
        "arrest_china",
        "detention_china",
        "mss_holding",
        "kyohwaso",
    ]


def test_validate_path_reports_backward_steps_and_bad_dates() -> None:
    assert validate_path([ARREST, DETAINED]) == []
    problems = validate_path([DETAINED, ARREST])
    assert [p.index for p in problems] == [1, 1]
    assert "cannot follow" in problems[0].message
    bad = CustodyStep(stage="jipkyulso", start_date="2025-05", end_date="2025-04")
    assert [p.message for p in validate_path([bad])] == ["jipkyulso ends before it starts"]
    assert validate_path([CustodyStep(stage="gulag")])[0].message == "unknown stage 'gulag'"
    # Uncertain dates that might be in order are not a problem.
    vague = CustodyStep(stage="handover", start_date="2025~")
    assert validate_path([DETAINED, vague]) == []


def test_current_step_is_last_open_step() -> None:
    assert current_step(case("open", ARREST, DETAINED)) == DETAINED
    ended = CustodyStep(stage="detention_china", start_date="2025-01-11", end_date="2025-02")
    assert current_step(case("open", ARREST, ended)) is None
    assert current_step(case("open")) is None


def test_detention_in_china_alerts_only_when_repatriation_is_imminent() -> None:
    assert assess_risk(case("detained_china", ARREST, DETAINED), TODAY) is None
    alert = assess_risk(case("repatriation_imminent", ARREST, DETAINED), TODAY)
    assert alert is not None
    assert alert.stage == "detention_china"
    draft = alert.proposed
    assert draft.intervention_type == "urgent_appeal"
    assert draft.victim_id == "p1"
    assert "China" in (draft.addressee or "")
    assert "non-refoulement" in (draft.request or "")
    assert draft.status == "draft" and draft.version == 0
    assert draft.confidentiality is Confidentiality.CONFIDENTIAL


def test_handover_to_mss_alerts_whatever_the_status() -> None:
    ended = CustodyStep(stage="detention_china", start_date="2025-01-11", end_date="2025-02-20")
    mss = CustodyStep(stage="mss_holding", start_date="2025-02-20")
    alert = assess_risk(case("repatriated", ARREST, ended, mss), TODAY)
    assert alert is not None and alert.stage == "mss_holding"
    assert "Democratic People's Republic of Korea" in (alert.proposed.addressee or "")


def test_alert_on_change_fires_on_entry_only() -> None:
    before = case("detained_china", ARREST, DETAINED)
    after = before.model_copy(update={"status": "repatriation_imminent"})
    assert alert_on_change(before, after, TODAY) is not None
    again = after.model_copy(update={"solution_sought": "resettlement"})
    assert alert_on_change(after, again, TODAY) is None
    assert alert_on_change(None, after, TODAY) is not None
    resettled = case(
        "resettled",
        ARREST,
        CustodyStep(stage="detention_china", start_date="2025-01", end_date="2025-02"),
    )
    assert alert_on_change(after, resettled, TODAY) is None


def test_validate_case_checks_durable_solutions() -> None:
    ended = CustodyStep(stage="detention_china", start_date="2024-01", end_date="2024-03")
    good = RefugeeCase(
        person_id="p",
        status="resettled",
        steps=[ARREST.model_copy(update={"start_date": "2024-01", "end_date": "2024-01"}), ended],
        solution_sought="resettlement",
        solution_achieved="resettlement",
    )
    assert validate_case(good) == []
    unknown = good.model_copy(update={"solution_sought": "asylum_somewhere"})
    assert [p.message for p in validate_case(unknown)] == [
        "solution_sought 'asylum_somewhere' is not a durable solution"
    ]
    still_held = case("detained_china", ARREST, DETAINED).model_copy(
        update={"solution_achieved": "resettlement"}
    )
    assert "custody step is open" in validate_case(still_held)[0].message
