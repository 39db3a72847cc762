from __future__ import annotations

import pytest
from pydantic import ValidationError

from kirok.domain.records import Confidentiality, Intervention
from kirok.reports.model import (
    SECTIONS,
    Audience,
    Citation,
    Estimate,
    Figure,
    NotPublishable,
    RecordOfActions,
    ReportData,
    Section,
    check_publishable,
)
from kirok.reports.sample import sample_report


def test_sample_has_every_section_in_order() -> None:
    report = sample_report(Audience.INTERNAL)
    assert [s.title for s in report.sections] == list(SECTIONS.values())
    assert report.figures(), "the sample must carry numbers"
    for figure in report.figures():
        assert figure.query and figure.citations


def test_sections_must_be_complete() -> None:
    report = sample_report(Audience.INTERNAL)
    data = report.model_dump()
    data["sections"] = data["sections"][1:]
    with pytest.raises(ValidationError, match="sections must be exactly"):
        ReportData.model_validate(data)


def _with_figure_citation(audience: Audience, citation: Citation) -> ReportData:
    report = sample_report(audience)
    sections = list(report.sections)
    first = sections[0]
    figure = Figure(label="x", value=1, query="q", citations=[citation])
    sections[0] = Section(key=first.key, figures=[*first.figures, figure])
    return report.model_copy(update={"sections": sections})


def test_public_report_refuses_a_citation_without_publication_consent() -> None:
    secret = Citation(ref="a-999", publishable=False)
    internal = _with_figure_citation(Audience.INTERNAL, secret)
    ReportData.model_validate(internal.model_dump())  # internal may cite it
    public = _with_figure_citation(Audience.PUBLIC, secret)
    with pytest.raises(NotPublishable, match="a-999"):
        check_publishable(public)
    with pytest.raises(ValidationError, match="a-999"):
        ReportData.model_validate(public.model_dump())


def test_public_report_refuses_a_non_public_record_of_action() -> None:
    report = sample_report(Audience.PUBLIC)
    hidden = Intervention(
        id="int-confidential",
        intervention_type="urgent_appeal",
        confidentiality=Confidentiality.CONFIDENTIAL,
    )
    actions = RecordOfActions(
        designations=report.actions.designations,
        resolutions=report.actions.resolutions,
        interventions=[*report.actions.interventions, hidden],
    )
    with pytest.raises(NotPublishable, match="int-confidential"):
        check_publishable(report.model_copy(update={"actions": actions}))


def test_public_sample_cites_pseudonyms_not_record_ids() -> None:
    internal = {c.ref for f in sample_report(Audience.INTERNAL).figures() for c in f.citations}
    public = {c.ref for f in sample_report(Audience.PUBLIC).figures() for c in f.citations}
    assert "a-101" in internal
    assert not {r for r in public if r.startswith("a-")}


def test_figure_change_and_estimate_bounds() -> None:
    assert Figure(label="x", value=3, previous=5, query="q").change == -2
    assert Figure(label="x", value=3, query="q").change is None
    with pytest.raises(ValidationError):
        Estimate(lower=5, upper=4, method="m")


def test_citation_consent_comes_from_the_policy() -> None:
    from datetime import date

    from kirok.security.policy import Consent, ConsentScope

    on = date(2025, 12, 31)
    given = Consent(scopes=frozenset({ConsentScope.PUBLICATION}), given=date(2024, 1, 1))
    assert Citation.checked("W-1", [given], on).publishable
    revoked = Consent(
        scopes=frozenset({ConsentScope.PUBLICATION}),
        given=date(2024, 1, 1),
        revoked=date(2025, 6, 1),
    )
    assert not Citation.checked("W-2", [revoked], on).publishable
    at_risk = Consent(
        scopes=frozenset({ConsentScope.PUBLICATION}), given=date(2024, 1, 1), family_at_risk=True
    )
    refused = Citation.checked("W-3", [at_risk], on)
    assert not refused.publishable
    assert not Citation.checked("W-4", [], on).publishable  # default deny
    with pytest.raises(NotPublishable, match="W-3"):
        check_publishable(_with_figure_citation(Audience.PUBLIC, refused))
