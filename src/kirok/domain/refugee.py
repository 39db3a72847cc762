"""Refugee cases: the custody path, its current stage, and the alert for a high-risk step.

A person caught in China typically moves along one path::

    arrest_china → detention_china → handover → mss_holding → jipkyulso / kyohwaso / kwanliso

(``mss_holding``: a Ministry of State Security holding centre at the border; ``jipkyulso``: a
short-term holding centre; ``kyohwaso``: a long-term "re-education" prison; ``kwanliso``: a
political prison camp; ``rodong_danryeondae``: a labour-training unit.) The path may skip stages
(a handover is often not documented) but never goes back to an earlier *rank*; the last three
places are alternatives of equal rank, and a person can be moved between them.

The risk rule exists because an urgent appeal only helps before the handover is complete: a
person detained in China whose repatriation is imminent, or already handed to the MSS, gets an
:class:`Alert` proposing an urgent-appeal :class:`~kirok.domain.records.Intervention`. The draft is
never stored by this module; a person decides whether to send it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

from kirok.domain.dates import parse_date
from kirok.domain.records import Confidentiality, CustodyStep, Intervention, RefugeeCase

__all__ = [
    "STAGE_RANK",
    "Alert",
    "CustodyProblem",
    "alert_on_change",
    "assess_risk",
    "current_step",
    "order_steps",
    "validate_case",
    "validate_path",
]

#: Position of each stage on the path; equal ranks are alternatives.
STAGE_RANK: Final[dict[str, int]] = {
    "arrest_china": 0,
    "detention_china": 1,
    "handover": 2,
    "mss_holding": 3,
    "jipkyulso": 4,
    "rodong_danryeondae": 5,
    "kyohwaso": 5,
    "kwanliso": 5,
    "released": 6,
}

#: Case statuses that mean repatriation from China is imminent.
IMMINENT_STATUSES: Final = frozenset({"repatriation_imminent", "transfer_to_border"})

#: Stages high-risk on their own, whatever the case status.
HIGH_RISK_STAGES: Final = frozenset({"handover", "mss_holding"})

#: UNHCR's durable solutions. "Voluntary repatriation" to the DPRK is listed because it is the
#: UNHCR term; a case recording it deserves a second look.
SOLUTIONS: Final = frozenset({"voluntary_repatriation", "local_integration", "resettlement"})

CHINA: Final = "Government of the People's Republic of China"
DPRK: Final = "Government of the Democratic People's Republic of Korea"


@dataclass(frozen=True)
class CustodyProblem:
    index: int
    message: str


def _start(step: CustodyStep) -> date | None:
    return parse_date(step.start_date).earliest if step.start_date else None


def order_steps(steps: list[CustodyStep]) -> list[CustodyStep]:
    """Steps in path order: by stage rank, then by earliest start date (undated last in rank).

    Sorting is stable, so steps the documenter entered in order keep that order on ties.
    """

    def key(step: CustodyStep) -> tuple[int, date]:
        start = _start(step) or date.max
        return (STAGE_RANK.get(step.stage, len(STAGE_RANK)), start)

    return sorted(steps, key=key)


def validate_path(steps: list[CustodyStep]) -> list[CustodyProblem]:
    """Problems with a path as entered (the order the documenter recorded).

    Reports unknown stages, a step that goes back to an earlier rank, a step ending before it
    starts, and a step that surely starts before the previous one surely started. Uncertain dates
    only count as a problem when *every* reading of them is wrong.
    """
    problems: list[CustodyProblem] = []
    previous_rank = -1
    previous_start: date | None = None
    for i, step in enumerate(steps):
        rank = STAGE_RANK.get(step.stage)
        if rank is None:
            problems.append(CustodyProblem(i, f"unknown stage {step.stage!r}"))
            continue
        if rank < previous_rank:
            problems.append(CustodyProblem(i, f"{step.stage} cannot follow a later stage"))
        previous_rank = max(previous_rank, rank)
        start = parse_date(step.start_date) if step.start_date else None
        end = parse_date(step.end_date) if step.end_date else None
        if start and end and end.latest < start.earliest:
            problems.append(CustodyProblem(i, f"{step.stage} ends before it starts"))
        if start and previous_start and start.latest < previous_start:
            problems.append(CustodyProblem(i, f"{step.stage} starts before the previous step"))
        if start:
            previous_start = start.earliest
    return problems


def validate_case(case: RefugeeCase) -> list[CustodyProblem]:
    """Path problems plus durable-solution problems (index -1: the case itself)."""
    problems = validate_path(case.steps)
    for name in ("solution_sought", "solution_achieved"):
        value = getattr(case, name)
        if value is not None and value not in SOLUTIONS:
            problems.append(CustodyProblem(-1, f"{name} {value!r} is not a durable solution"))
    if case.solution_achieved is not None and current_step(case) is not None:
        problems.append(
            CustodyProblem(-1, "a durable solution is recorded while a custody step is open")
        )
    return problems


def current_step(case: RefugeeCase) -> CustodyStep | None:
    """The stage the person is in now: the last step on the path that has not ended, or None
    when every step has ended (released, or whereabouts unknown since the last one)."""
    for step in reversed(order_steps(case.steps)):
        if not step.end_date:
            return step
    return None


@dataclass(frozen=True)
class Alert:
    """A case needs action now. ``proposed`` is an unsaved draft urgent appeal."""

    case_id: str
    stage: str
    reason: str
    proposed: Intervention


def _draft(case: RefugeeCase, stage: str, today: date) -> Intervention:
    if stage == "detention_china":
        addressee = CHINA
        request = (
            "Halt the forced return of the person detained; respect the principle of "
            "non-refoulement; grant UNHCR access and allow transit to a safe third country."
        )
    else:
        addressee = DPRK
        request = (
            "Disclose the person's whereabouts and health; guarantee freedom from torture and "
            "ill-treatment; give access to family and an independent monitor."
        )
    return Intervention(
        intervention_type="urgent_appeal",
        victim_id=case.person_id,
        addressee=addressee,
        request=request,
        date=today.isoformat(),
        status="draft",
        confidentiality=Confidentiality.CONFIDENTIAL,
    )


def assess_risk(case: RefugeeCase, today: date) -> Alert | None:
    """An alert when the case is in a high-risk step now, else None."""
    step = current_step(case)
    if step is None:
        return None
    if step.stage == "detention_china" and case.status in IMMINENT_STATUSES:
        reason = "detained in China with repatriation imminent"
    elif step.stage in HIGH_RISK_STAGES:
        reason = f"in custody at stage {step.stage} (handed over to the DPRK)"
    else:
        return None
    return Alert(case.id, step.stage, reason, _draft(case, step.stage, today))


def alert_on_change(before: RefugeeCase | None, after: RefugeeCase, today: date) -> Alert | None:
    """An alert only when an update makes the case *enter* a high-risk step (or a new one), so
    saving an unrelated field does not propose the same appeal again."""
    new = assess_risk(after, today)
    if new is None:
        return None
    old = assess_risk(before, today) if before is not None else None
    if old is not None and (old.stage, old.reason) == (new.stage, new.reason):
        return None
    return new
