"""The live country report on a small demo database: every number against an independent count,
consent for the public edition, the record of actions, and the rendered HTML and PDF."""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import test_reports_publishing as mail_server
from kirok.demo.synthetic import generate
from kirok.domain.dates import parse_date
from kirok.domain.records import (
    Act,
    Confidentiality,
    Consent,
    Designation,
    EstimationRun,
    Event,
    Information,
    Intervention,
    LinkageRun,
    Record,
    RefugeeCase,
    Resolution,
    SanctionEntry,
    Statistic,
)
from kirok.domain.vocabulary import load_vocabularies
from kirok.estimation.estimate import estimate_loglinear
from kirok.estimation.histories import histories_from_records
from kirok.reports.model import SECTIONS, Audience, ReportData
from kirok.reports.publishing import SmtpSettings, SubscriptionState
from kirok.reports.render import render_html, write_report
from kirok.security import policy
from kirok.security.keys import Keyring
from kirok.services import publishing
from kirok.services.context import Settings, open_keyring, open_store
from kirok.services.demo import DEMO_SEED, run_demo
from kirok.services.estimates import estimate_db
from kirok.services.publishing import DatabaseSubscribers, ListSettings
from kirok.services.report import ACT_QUERIES, LiveQueries, build_report
from kirok.services.reporting.refugees import cases_in_china_figure
from kirok.store.repository import RecordStore
from kirok.web.public_site import create_public_app

Collector = mail_server.Collector
smtp_server = mail_server.smtp_server  # the local SMTP server fixture (aiosmtpd)

ON = date(2026, 1, 15)  # the report date: consents are judged on it
YEARS = range(1998, 2025)  # the demo documents 1995-2024; executions are rare

# The act types each checked figure must count, written out here rather than taken from the
# service, so a changed query in the service fails this test.
EXPECTED_TYPES = {
    "executions": ("01010101000004", "01010102000004", "01010103000004", "L4-PUBLIC-EXECUTION"),
    "torture": ("02011111000004",),
    "arbitrary_detention": ("03010200000004",),
    "forced_repatriation": ("38010100000004",),
}
COUNTED = {Confidentiality.PUBLIC, Confidentiality.INTERNAL, Confidentiality.CONFIDENTIAL}


@dataclass(frozen=True)
class Demo:
    settings: Settings
    folder: Path

    def copy(self, target: Path) -> Settings:
        """A private copy of the database and its keys, for a test that changes records."""
        shutil.copytree(self.folder, target)
        return _settings(target)


def _settings(folder: Path) -> Settings:
    return Settings(
        db_url=f"sqlite:///{folder / 'kirok.db'}",
        keystore=folder / "kirok.keys.json",
        key_file=folder / "kirok.key",
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    folder = tmp_path_factory.mktemp("report-demo") / "db"
    folder.mkdir()
    settings = _settings(folder)
    run_demo(settings, "test", population=200)
    return Demo(settings, folder)


@pytest.fixture(scope="module")
def store(demo: Demo) -> Iterable[RecordStore]:
    with open_store(demo.settings) as opened:
        yield opened


@pytest.fixture(scope="module")
def keyring(demo: Demo) -> Keyring:
    return open_keyring(demo.settings)


@dataclass(frozen=True)
class Stored:
    """Every record the independent counts need, read once straight from the store."""

    acts: list[Act]
    information: list[Information]
    consents: list[Consent]
    cases: list[RefugeeCase]


@pytest.fixture(scope="module")
def stored(store: RecordStore) -> Stored:
    with store.read() as uow:
        return Stored(
            acts=[r for r in uow.iter_kind("act") if isinstance(r, Act)],
            information=[r for r in uow.iter_kind("information") if isinstance(r, Information)],
            consents=[r for r in uow.iter_kind("consent") if isinstance(r, Consent)],
            cases=[r for r in uow.iter_kind("refugee_case") if isinstance(r, RefugeeCase)],
        )


def _types(key: str) -> set[str]:
    vocabulary = load_vocabularies()["types_of_acts"]
    return {t for root in EXPECTED_TYPES[key] for t in vocabulary.descendant_ids(root)}


def _in_year(record: Act, year: int) -> bool:
    spans = [parse_date(d) for d in (record.start_date, record.end_date) if d]
    if not spans:
        return False
    earliest = min(s.earliest for s in spans)
    latest = max(s.latest for s in spans)
    return earliest <= date(year, 12, 31) and latest >= date(year, 1, 1)


def _as_policy(consent: Consent) -> policy.Consent:
    scopes = frozenset(policy.ConsentScope(s) for s in consent.scopes)
    assert consent.given_on is not None
    return policy.Consent(scopes, consent.given_on, consent.revoked_on, consent.family_at_risk)


def _info_publishable(info: Information, data: Stored) -> bool:
    """Judged with every consent bearing on the information: its own and the person-level
    consents of its source and of the person it is about."""
    people = {info.source_person_id, info.person_id} - {None}
    bearing = [
        _as_policy(c)
        for c in data.consents
        if c.information_id == info.id or (c.information_id is None and c.person_id in people)
    ]
    return bool(policy.may_leave(bearing, "publication", ON))


def _publishable(act: Act, data: Stored) -> bool:
    """At least one piece of information about the act's event (or, without an event, about its
    victim) may be published."""
    return any(
        _info_publishable(i, data)
        for i in data.information
        if i.event_id == act.event_id or (i.event_id is None and i.person_id == act.victim_id)
    )


def _cases_in_china(year: int, audience: Audience, data: Stored) -> list[RefugeeCase]:
    chosen = []
    for case in data.cases:
        spans = [
            [parse_date(d) for d in (step.start_date, step.end_date) if d]
            for step in case.steps
            if step.stage in ("arrest_china", "detention_china", "handover")
        ]
        if not any(
            s and min(p.earliest for p in s).year <= year <= max(p.latest for p in s).year
            for s in spans
        ):
            continue
        if audience is Audience.PUBLIC and not any(
            _info_publishable(i, data) for i in data.information if i.person_id == case.person_id
        ):
            continue
        chosen.append(case)
    return chosen


def _expected(key: str, year: int, audience: Audience, data: Stored) -> list[Act]:
    types = _types(key)
    chosen = [
        a
        for a in data.acts
        if a.act_type in types and a.confidentiality in COUNTED and _in_year(a, year)
    ]
    if audience is Audience.PUBLIC:
        chosen = [a for a in chosen if _publishable(a, data)]
    return chosen


def _report(store: RecordStore, keyring: Keyring, audience: Audience, year: int) -> ReportData:
    return build_report(
        store, country="KP", year=year, audience=audience, pseudonyms=keyring, generated_on=ON
    )


def _busiest_year(data: Stored) -> int:
    """The year with most publishable forced repatriations (so the public checks see some)."""
    return max(YEARS, key=lambda y: len(_expected("forced_repatriation", y, Audience.PUBLIC, data)))


@pytest.mark.parametrize("audience", list(Audience))
def test_every_act_count_equals_an_independent_count_each_year(
    store: RecordStore, keyring: Keyring, stored: Stored, audience: Audience
) -> None:
    queries = {q.key: q for q in ACT_QUERIES}
    totals = dict.fromkeys(EXPECTED_TYPES, 0)
    with store.read() as uow:
        live = LiveQueries(uow, audience, keyring, on_date=ON)
        for key in EXPECTED_TYPES:
            for year in YEARS:
                figure = live.act_figure(queries[key], year)
                expected = _expected(key, year, audience, stored)
                assert figure.value == len(expected), (key, year)
                assert figure.previous == len(_expected(key, year - 1, audience, stored))
                refs = {c.ref for c in figure.citations}
                if audience is Audience.PUBLIC:
                    assert refs == {keyring.pseudonym("act", a.id) for a in expected}
                else:
                    assert refs == {a.id for a in expected}
                totals[key] += len(expected)
    # The comparison means something only if the demo holds such acts in these years.
    assert all(n > 0 for k, n in totals.items() if k != "executions"), totals
    internal = sum(len(_expected("executions", y, Audience.INTERNAL, stored)) for y in YEARS)
    assert internal > 0


@pytest.mark.parametrize("audience", list(Audience))
def test_refugee_cases_in_china_equal_an_independent_count_each_year(
    store: RecordStore, keyring: Keyring, stored: Stored, audience: Audience
) -> None:
    total = 0
    with store.read() as uow:
        live = LiveQueries(uow, audience, keyring, on_date=ON)
        for year in YEARS:
            figure = cases_in_china_figure(live, year)
            expected = _cases_in_china(year, audience, stored)
            assert figure.value == len(expected), year
            assert figure.previous == len(_cases_in_china(year - 1, audience, stored))
            if audience is Audience.PUBLIC:
                want = {keyring.pseudonym("refugee_case", c.id) for c in expected}
            else:
                want = {c.id for c in expected}
            assert {c.ref for c in figure.citations} == want
            total += len(expected)
    assert total > 0


def test_public_counts_are_lower_bounds_and_some_acts_are_held_back(stored: Stored) -> None:
    held_back = 0
    for key in EXPECTED_TYPES:
        for year in YEARS:
            public = _expected(key, year, Audience.PUBLIC, stored)
            internal = _expected(key, year, Audience.INTERNAL, stored)
            assert {a.id for a in public} <= {a.id for a in internal}
            held_back += len(internal) - len(public)
    assert held_back > 0


@pytest.mark.parametrize("audience", list(Audience))
def test_report_numbers_and_year_over_year_match_the_store(
    store: RecordStore, keyring: Keyring, stored: Stored, audience: Audience
) -> None:
    year = _busiest_year(stored)
    report = _report(store, keyring, audience, year)
    assert [s.key for s in report.sections] == list(SECTIONS)
    assert report.previous_year == year - 1
    by_label = {f.label: f for f in report.figures()}
    for query in ACT_QUERIES:
        if query.key not in EXPECTED_TYPES:
            continue
        figure = by_label[query.label]
        assert figure.value == len(_expected(query.key, year, audience, stored))
        assert figure.previous == len(_expected(query.key, year - 1, audience, stored))
        assert figure.change == figure.value - figure.previous
    with store.read() as uow:
        arrivals = {
            r.period: r.value
            for r in uow.iter_kind("statistic")
            if isinstance(r, Statistic) and r.series == "escapee_arrivals_kr"
        }
    figure = by_label["Escapees arriving in South Korea"]
    assert figure.value == arrivals[str(year)] and figure.previous == arrivals[str(year - 1)]
    with store.read() as uow:
        designations = [d for d in uow.iter_kind("designation") if isinstance(d, Designation)]
    for program, label in (
        ("religious_freedom_cpc", "Years designated a Country of Particular Concern"),
        ("trafficking_tier", "Years ranked in the Trafficking in Persons Report"),
    ):
        years = [d.year for d in designations if d.program == program]
        assert by_label[label].value == len({y for y in years if y <= year}) > 0
        assert by_label[label].previous == len({y for y in years if y < year})
    indicator = next(b for b in report.indicators if b.indicator.key == "forced_repatriation")
    assert {p.year: p.value for p in indicator.indicator.points} == {
        y: len(_expected("forced_repatriation", y, audience, stored))
        for y in range(year - 4, year + 1)
    }


def _without_publication(settings: Settings, act: Act, data: Stored) -> list[Consent]:
    """Drop the publication scope from every consent bearing on the act's information."""
    infos = [i for i in data.information if i.event_id == act.event_id]
    people = {p for i in infos for p in (i.source_person_id, i.person_id) if p}
    changed = []
    with open_store(settings) as copy, copy.write("test") as uow:
        for consent in data.consents:
            if consent.information_id in {i.id for i in infos} or (
                consent.information_id is None and consent.person_id in people
            ):
                scopes = [s for s in consent.scopes if s != "publication"]
                changed.append(uow.update(consent.model_copy(update={"scopes": scopes})))
    return changed


def _public_site_texts(
    settings: Settings, year: int, smtp: tuple[Collector, int]
) -> tuple[str, list[str]]:
    """What the public site serves (index, the report, the feed) and what the announcement
    mails say, with the year's report published and one confirmed subscriber."""
    collector, port = smtp
    options = ListSettings(
        "https://reports.example.org",
        "reports@example.org",
        SmtpSettings("127.0.0.1", port, starttls=False),
    )
    keyring = open_keyring(settings)
    with open_store(settings) as copy:
        if not publishing.publications(copy):
            publishing.publish(copy, keyring, "KP", year, actor="test", on=ON)
            DatabaseSubscribers(copy, actor="test").set_state(
                "reader@example.org", SubscriptionState.CONFIRMED
            )
        app = create_public_app(settings, mail=options, https=False, store=copy, today=lambda: ON)
        with TestClient(app) as client:
            pages = [client.get(p) for p in ("/", f"/reports/kp-{year}", "/feed.atom")]
        assert all(page.status_code == 200 for page in pages)
        before = len(collector.messages)
        publishing.announce(copy, keyring, "KP", year, actor="test", settings=options, on=ON)
    mails = [m.as_string() for _, m in collector.messages[before:]]
    assert mails
    return "\n".join(page.text for page in pages), mails


def test_a_record_without_publication_consent_never_reaches_the_public_report(
    demo: Demo, stored: Stored, tmp_path: Path, smtp_server: tuple[Collector, int]
) -> None:
    """Not in the public report, nor on the public site, in the feed or in the mail."""
    year = _busiest_year(stored)
    act = _expected("forced_repatriation", year, Audience.PUBLIC, stored)[0]
    info = next(i for i in stored.information if i.event_id == act.event_id)
    witness = info.source_person_id
    assert witness is not None
    settings = demo.copy(tmp_path / "copy")
    keyring = open_keyring(settings)
    act_alias = keyring.pseudonym("act", act.id)
    with open_store(settings) as copy:
        before = render_html(_report(copy, keyring, Audience.PUBLIC, year), with_charts=False)
    assert act_alias in before  # cited while its witness consents to publication
    site_before, _ = _public_site_texts(settings, year, smtp_server)
    assert act_alias in site_before

    changed = _without_publication(settings, act, stored)
    assert changed and all("publication" not in c.scopes for c in changed)
    with open_store(settings) as copy:
        public = render_html(_report(copy, keyring, Audience.PUBLIC, year), with_charts=False)
        internal = render_html(_report(copy, keyring, Audience.INTERNAL, year), with_charts=False)
    site, mails = _public_site_texts(settings, year, smtp_server)
    secrets = [act.id, act_alias, info.id, keyring.pseudonym("information", info.id), witness]
    secrets += [keyring.pseudonym("person", witness), info.testimony or "", act.victim_id]
    for text in secrets:
        assert text and text not in public, text
        assert text not in site, text
        assert all(text not in mail for mail in mails), text
    assert act.id in internal  # the organisation still sees its own record


def test_record_of_actions_lists_designations_votes_interventions_and_sanctions(
    demo: Demo, stored: Stored, tmp_path: Path
) -> None:
    year = _busiest_year(stored)
    settings = demo.copy(tmp_path / "copy")
    keyring = open_keyring(settings)
    with open_store(settings) as copy, copy.write("test") as uow:
        uow.add_many(
            [
                Intervention(
                    id="pub-appeal",
                    intervention_type="01060000000020",
                    date=f"{year}-05-02",
                    addressee="Government of the People's Republic of China",
                    request="Published appeal: halt forced returns.",
                    confidentiality=Confidentiality.PUBLIC,
                ),
                SanctionEntry(
                    id="pub-sanction",
                    program="OFAC SDN",
                    listed_name="Ministry of State Security",
                    listed_on=f"{year - 3}-07-06",
                    confidentiality=Confidentiality.PUBLIC,
                ),
                SanctionEntry(
                    id="old-sanction",
                    program="OFAC SDN",
                    listed_name="Delisted unit",
                    listed_on=f"{year - 10}",
                    delisted_on=f"{year - 1}-03",
                    confidentiality=Confidentiality.PUBLIC,
                ),
                Event(
                    id="pub-conference",
                    title="Conference on forced repatriation",
                    start_date=f"{year}-09",
                    confidentiality=Confidentiality.PUBLIC,
                ),
            ]
        )
    with open_store(settings) as copy, copy.read() as uow:
        everything: dict[str, list[Record]] = {
            kind: list(uow.iter_kind(kind))
            for kind in ("designation", "resolution", "intervention")
        }
        internal = _report(copy, keyring, Audience.INTERNAL, year)
        public = _report(copy, keyring, Audience.PUBLIC, year)
    designations = {
        r.id for r in everything["designation"] if isinstance(r, Designation) and r.year <= year
    }
    resolutions = {
        r.id
        for r in everything["resolution"]
        if isinstance(r, Resolution) and r.adopted_on and int(r.adopted_on[:4]) <= year
    }
    in_year = {
        r.id
        for r in everything["intervention"]
        if isinstance(r, Intervention)
        and r.date
        and parse_date(r.date).earliest.year <= year
        and parse_date(r.date).latest.year >= year
        and r.confidentiality in COUNTED
    }
    for report in (internal, public):
        assert {d.id for d in report.actions.designations} == designations
        assert {r.id for r in report.actions.resolutions} == resolutions
        assert [s.id for s in report.actions.sanctions] == ["pub-sanction"]
        assert [e.id for e in report.actions.events] == ["pub-conference"]
    assert {i.id for i in internal.actions.interventions} == in_year
    assert len(in_year) > 1  # the demo's own (confidential) interventions are there
    assert [i.id for i in public.actions.interventions] == ["pub-appeal"]
    html = render_html(public, with_charts=False)
    assert "Published appeal: halt forced returns." in html
    assert "Ministry of State Security" in html and "Conference on forced repatriation" in html
    assert "Delisted unit" not in html
    voted = [r for r in public.actions.resolutions if r.vote is not None and r.vote.yes]
    assert voted
    for resolution in voted:
        vote = resolution.vote
        assert vote is not None
        shown = ["?" if n is None else str(n) for n in (vote.yes, vote.no, vote.abstain)]
        assert "–".join(shown) in html  # unverified counts show as "?", never as 0


def test_the_demo_report_renders_to_html_with_charts_and_no_template_residue(
    store: RecordStore, keyring: Keyring, stored: Stored, tmp_path: Path
) -> None:
    year = _busiest_year(stored)
    report = _report(store, keyring, Audience.PUBLIC, year)
    path = write_report(report, "html", tmp_path)
    html = path.read_text(encoding="utf-8")
    for number, title in enumerate(SECTIONS.values(), start=1):
        assert f"<h2>{number}. {title}</h2>" in html
    assert "Record of actions" in html and "Indicators of verifiable change" in html
    assert "Map of known camps" in html
    assert "{{" not in html and "{%" not in html and "Undefined" not in html
    for figure in report.figures():
        for citation in figure.citations:
            assert citation.ref in html
    assert "demo-act-" not in html and "demo-person-" not in html


@pytest.mark.slow
def test_the_demo_report_renders_to_pdf_with_every_section(
    store: RecordStore, keyring: Keyring, stored: Stored, tmp_path: Path
) -> None:
    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.skip("pdftotext missing: apt-get install -y poppler-utils")
    report = _report(store, keyring, Audience.INTERNAL, _busiest_year(stored))
    pdf = write_report(report, "pdf", tmp_path)
    text = subprocess.run([tool, str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    flat = " ".join(text.split())
    for title in SECTIONS.values():
        assert title in flat, title
    assert "Record of actions" in flat and "조선민주주의인민공화국" in flat
    for residue in ("{{", "{%", "Undefined", "Traceback", "TemplateError"):
        assert residue not in flat
    pages = shutil.which("pdftoppm")
    if pages is not None:  # the pages render to images that are not blank
        subprocess.run([pages, "-r", "30", "-png", str(pdf), str(tmp_path / "page")], check=True)
        images = sorted(tmp_path.glob("page-*.png"))
        assert len(images) >= 3 and all(p.stat().st_size > 2_000 for p in images)
    # Table cells wrap and hyphenate, and pdftotext may interleave a wrapped cell with its
    # neighbours: labels are compared word by word, ids without spaces and hyphens.
    squeezed = re.sub(r"[\s-]", "", text)
    words = set(re.sub(r"-\s*", "", text).split())
    figures = report.figures()
    assert sum(len(f.citations) for f in figures) > 0
    for figure in figures:
        missing = [w for w in figure.label.split() if w not in words and w not in squeezed]
        assert missing == [], (figure.label, missing)
    # A long id in a narrow cell can be split around a neighbouring cell's text: nearly all
    # (not every) cited ids must be found whole.
    refs = [c.ref.replace("-", "") for f in figures for c in f.citations]
    found = [ref for ref in refs if ref in squeezed]
    assert len(found) >= 0.9 * len(refs), (len(found), len(refs))


def test_detained_estimate_from_the_latest_linkage_run_internal_only(
    demo: Demo, store: RecordStore, keyring: Keyring, stored: Stored, tmp_path: Path
) -> None:
    year = _busiest_year(stored)
    without = _report(store, keyring, Audience.INTERNAL, year)
    detention = next(s for s in without.sections if s.key == "detention")
    assert not [f for f in detention.figures if f.estimate is not None]
    assert any("No linkage run is stored" in n for n in detention.notes)

    # A linkage run that found the true people (the generator's ground truth).
    truth = generate(seed=DEMO_SEED, population=200)
    clusters = {f"demo-person-{row.record_id}": f"person-{row.person_id}" for row in truth.rows}
    settings = demo.copy(tmp_path / "copy")
    with open_store(settings) as copy, copy.write("test") as uow:
        uow.add(
            LinkageRun(
                id="run-truth",
                engine="ground truth",
                threshold=0.9,
                review_floor=0.5,
                trained=False,
                n_records=len(clusters),
                clusters=clusters,
            )
        )
    with open_store(settings) as copy:
        internal = _report(copy, keyring, Audience.INTERNAL, year)
        public = _report(copy, keyring, Audience.PUBLIC, year)
    detained = {a.victim_id for a in stored.acts if a.act_type in _types("arbitrary_detention")}
    with store.read() as uow:
        sources = [
            (clusters[p.id], p.source)
            for p in uow.iter_kind("person")
            if p.id in detained and p.id in clusters and p.source
        ]
    expected = estimate_loglinear(histories_from_records(sources))
    (figure,) = [f for s in internal.sections for f in s.figures if f.estimate is not None]
    assert figure.value == round(expected.estimate)
    assert figure.estimate is not None
    assert expected.ci_lower is not None and expected.ci_upper is not None
    assert figure.estimate.lower == math.floor(expected.ci_lower)
    assert figure.estimate.upper == math.ceil(expected.ci_upper)
    assert expected.model in figure.estimate.method
    assert [c.ref for c in figure.citations] == ["run-truth"]
    # The estimator's own warnings (sparse table, model choice) go with the number.
    notes = next(s for s in internal.sections if s.key == "detention").notes
    assert [f"Estimate: {w}." for w in expected.warnings] == [
        n for n in notes if n.startswith("Estimate: ")
    ]
    assert not [f for f in public.figures() if f.estimate is not None]
    public_notes = next(s for s in public.sections if s.key == "detention").notes
    assert any("internal edition only" in n for n in public_notes)
    html = render_html(internal, with_charts=False)
    assert f"{figure.estimate.lower:,.0f}–{figure.estimate.upper:,.0f} (95 %)" in html


def test_consent_is_judged_on_the_report_date(demo: Demo, stored: Stored, tmp_path: Path) -> None:
    """A publication consent revoked after the report date still holds for that report; a
    report dated on or after the revocation no longer cites the record."""
    year = _busiest_year(stored)
    act = _expected("forced_repatriation", year, Audience.PUBLIC, stored)[0]
    infos = {i.id for i in stored.information if i.event_id == act.event_id}
    revoked_on = date(2026, 6, 1)
    settings = demo.copy(tmp_path / "copy")
    keyring = open_keyring(settings)
    with open_store(settings) as copy, copy.write("test") as uow:
        for consent in stored.consents:
            if consent.information_id in infos:
                uow.update(consent.model_copy(update={"revoked_on": revoked_on}))
    alias = keyring.pseudonym("act", act.id)

    def cited(on: date) -> bool:
        with open_store(settings) as copy, copy.read() as uow:
            live = LiveQueries(uow, Audience.PUBLIC, keyring, on_date=on)
            query = next(q for q in ACT_QUERIES if q.key == "forced_repatriation")
            return alias in {c.ref for c in live.act_figure(query, year).citations}

    assert cited(revoked_on - timedelta(days=1))
    assert not cited(revoked_on)


def _yearly_run(year: int, estimate: float, linkage: str) -> EstimationRun:
    return EstimationRun(
        id=f"run-{year}",
        method="loglinear",
        model="[12,34]",
        stratum=str(year),
        n_observed=40,
        estimate=estimate,
        ci_lower=estimate * 0.8,
        ci_upper=estimate * 1.3,
        linkage_run_id=linkage,
        result={"by": "year", "ci_level": 0.95, "ci_method": "profile likelihood"},
    )


def test_stored_estimation_runs_are_reported_and_published_only_when_marked_public(
    demo: Demo, stored: Stored, tmp_path: Path
) -> None:
    year = _busiest_year(stored)
    truth = generate(seed=DEMO_SEED, population=200)
    clusters = {f"demo-person-{row.record_id}": f"person-{row.person_id}" for row in truth.rows}
    settings = demo.copy(tmp_path / "copy")
    keyring = open_keyring(settings)
    with open_store(settings) as copy:
        with copy.write("test") as uow:
            uow.add(
                LinkageRun(
                    id="run-truth",
                    engine="ground truth",
                    threshold=0.9,
                    review_floor=0.5,
                    trained=False,
                    n_records=len(clusters),
                    clusters=clusters,
                )
            )
        (overall,) = estimate_db(copy, "test")
        yearly = [_yearly_run(y, 50.0 + 10 * (year - y), "run-truth") for y in (year - 1, year)]
        with copy.write("test") as uow:
            uow.add_many(yearly)
        internal = _report(copy, keyring, Audience.INTERNAL, year)
        public = _report(copy, keyring, Audience.PUBLIC, year)
    assert overall.ci_lower is not None and overall.ci_upper is not None
    estimated = {f.label: f for f in internal.figures() if f.estimate is not None}
    whole = estimated["Victims since records begin, documented or not (estimate)"]
    assert whole.value == round(overall.estimate)
    assert whole.estimate is not None
    assert (whole.estimate.lower, whole.estimate.upper) == (
        math.floor(overall.ci_lower),
        math.ceil(overall.ci_upper),
    )
    assert [c.ref for c in whole.citations] == [overall.id]
    this_year = estimated[f"Victims of acts that began in {year}, documented or not (estimate)"]
    assert (this_year.value, this_year.previous) == (50, 60)
    assert [c.ref for c in this_year.citations] == [f"run-{year}"]
    series = next(b for b in internal.indicators if b.indicator.key == "victims_estimate")
    assert [(p.year, p.value) for p in series.indicator.points] == [(year - 1, 60), (year, 50)]
    assert series.assessment.verdict.value == "no verifiable change"  # the intervals overlap
    # Not marked public: nothing of it in the public edition.
    assert not [f for f in public.figures() if f.estimate is not None]
    assert overall.id not in render_html(public, with_charts=False)

    with open_store(settings) as copy:
        with copy.write("test") as uow:
            uow.update(overall.model_copy(update={"confidentiality": Confidentiality.PUBLIC}))
        public = _report(copy, keyring, Audience.PUBLIC, year)
    (shown,) = [f for f in public.figures() if f.estimate is not None]
    assert shown.value == whole.value and [c.ref for c in shown.citations] == [overall.id]
