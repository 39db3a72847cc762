from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from kirok.domain.records import Designation, Resolution, SanctionEntry, VoteCount
from kirok.domain.tracker import (
    InForce,
    designation_timeline,
    designations_in_force,
    sanction_in_force,
    sanctions_in_force,
    vote_series,
)


def tier(year: int, status: str, on: date | None = None) -> Designation:
    return Designation(
        program="trafficking_tier", country="KP", year=year, status=status, designated_on=on
    )


def test_designation_holds_from_its_date_until_superseded() -> None:
    ds = [
        tier(2003, "Tier 3", date(2003, 6, 11)),
        tier(2004, "Tier 2 watch", date(2004, 6, 14)),
        tier(2005, "Tier 3"),
    ]
    assert designations_in_force(ds, date(2003, 6, 10)) == []
    assert [d.status for d in designations_in_force(ds, date(2003, 6, 11))] == ["Tier 3"]
    assert [d.status for d in designations_in_force(ds, date(2004, 6, 13))] == ["Tier 3"]
    assert [d.status for d in designations_in_force(ds, date(2004, 6, 14))] == ["Tier 2 watch"]
    # 2005 has no date: it starts on 1 January 2005 and is never superseded.
    assert [d.status for d in designations_in_force(ds, date(2004, 12, 31))] == ["Tier 2 watch"]
    assert [d.status for d in designations_in_force(ds, date(2030, 1, 1))] == ["Tier 3"]


def test_programmes_and_countries_are_separate() -> None:
    cpc = Designation(program="religious_freedom_cpc", country="KP", year=2001, status="CPC")
    other = Designation(program="religious_freedom_cpc", country="ER", year=2004, status="CPC")
    ds = [cpc, other, tier(2003, "Tier 3")]
    in_force = designations_in_force(ds, date(2005, 1, 1), country="kp")
    assert {d.id for d in in_force} == {cpc.id, ds[2].id}
    timeline = designation_timeline(ds)
    assert set(timeline) == {
        ("KP", "religious_freedom_cpc"),
        ("ER", "religious_freedom_cpc"),
        ("KP", "trafficking_tier"),
    }
    periods = timeline[("KP", "trafficking_tier")]
    assert periods[0].start == date(2003, 1, 1) and periods[0].end is None


def test_timeline_periods_do_not_overlap() -> None:
    ds = [tier(y, "Tier 3") for y in (2010, 2008, 2009)] + [tier(2009, "Tier 3 (corrected)")]
    periods = designation_timeline(ds)[("KP", "trafficking_tier")]
    assert [p.start.year for p in periods] == [2008, 2009, 2010]
    for a, b in zip(periods, periods[1:], strict=False):
        assert a.end == b.start
    for day in (date(2008, 5, 1), date(2009, 5, 1), date(2011, 5, 1)):
        assert sum(p.holds_on(day) for p in periods) == 1


def test_sanction_with_partial_dates() -> None:
    entry = SanctionEntry(
        program="US-SDN",
        listed_name="Ministry of State Security",
        listed_on="2016-07",
        delisted_on="2019",
    )
    assert sanction_in_force(entry, date(2016, 6, 30)) is InForce.NO
    assert sanction_in_force(entry, date(2016, 7, 15)) is InForce.POSSIBLY
    assert sanction_in_force(entry, date(2016, 8, 1)) is InForce.YES
    assert sanction_in_force(entry, date(2018, 12, 31)) is InForce.YES
    assert sanction_in_force(entry, date(2019, 6, 1)) is InForce.POSSIBLY
    assert sanction_in_force(entry, date(2020, 1, 1)) is InForce.NO
    assert sanctions_in_force([entry], date(2016, 7, 15)) == []
    assert sanctions_in_force([entry], date(2016, 7, 15), include_possible=True) == [entry]


def test_sanction_exact_days_and_open_end() -> None:
    entry = SanctionEntry(program="EU", listed_name="X", listed_on="2016-07-06")
    assert sanction_in_force(entry, date(2016, 7, 5)) is InForce.NO
    assert sanction_in_force(entry, date(2016, 7, 6)) is InForce.YES
    assert sanction_in_force(entry, date(2099, 1, 1)) is InForce.YES
    undated = SanctionEntry(program="EU", listed_name="Y", delisted_on="2018-01-01")
    assert sanction_in_force(undated, date(2017, 1, 1)) is InForce.POSSIBLY
    assert sanction_in_force(undated, date(2018, 1, 1)) is InForce.NO


def test_vote_series_orders_by_date_and_marks_consensus() -> None:
    rs = [
        Resolution(
            body="UNGA",
            symbol="A/RES/61/174",
            adopted_on="2006-12-19",
            vote=VoteCount(yes=99, no=21, abstain=56),
        ),
        Resolution(
            body="UNGA",
            symbol="A/RES/60/173",
            adopted_on="2005-12-16",
            vote=VoteCount(yes=88, no=21, abstain=60),
        ),
        Resolution(body="UNGA", symbol="A/RES/67/181", adopted_on="2012-12-20", vote=None),
        Resolution(body="HRC", symbol="A/HRC/RES/19/13", adopted_on="2012-03-22", vote=None),
        Resolution(body="HRC", symbol="undated"),
    ]
    series = vote_series(rs)
    assert list(series) == ["HRC", "UNGA"]
    assert [p.symbol for p in series["UNGA"]] == ["A/RES/60/173", "A/RES/61/174", "A/RES/67/181"]
    assert [p.year for p in series["UNGA"]] == [2005, 2006, 2012]
    assert series["UNGA"][0].label == "88–21–60"
    consensus = series["UNGA"][2]
    assert not consensus.recorded and consensus.yes is None
    assert consensus.label == "adopted without a vote"
    assert [p.symbol for p in series["HRC"]] == ["A/HRC/RES/19/13"]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(st.integers(2000, 2010), st.sampled_from(["a", "b"])), max_size=8),
    st.dates(date(1999, 1, 1), date(2012, 12, 31)),
)
def test_one_designation_in_force_per_programme_the_latest_started(
    entries: list[tuple[int, str]], on: date
) -> None:
    ds = [Designation(program=p, country="KP", year=y, status=f"s{y}") for y, p in entries]
    in_force = designations_in_force(ds, on)
    assert len({d.program for d in in_force}) == len(in_force)
    for program in ("a", "b"):
        started = [y for y, p in entries if p == program and date(y, 1, 1) <= on]
        chosen = [d for d in in_force if d.program == program]
        assert [d.year for d in chosen] == ([max(started)] if started else [])


def test_unknown_tally_is_not_called_consensus() -> None:
    unknown = Resolution(body="HRC", adopted_on="2016-03-23", vote=VoteCount())
    partial = Resolution(body="CHR", adopted_on="2004-04-15", vote=VoteCount(yes=29))
    series = vote_series([unknown, partial])
    assert series["HRC"][0].recorded and series["HRC"][0].label == "tally not verified"
    assert series["CHR"][0].label == "29–?–?"
    consensus = Resolution(body="UNGA", adopted_on="2012-12-20", vote=None)
    assert vote_series([consensus])["UNGA"][0].label == "adopted without a vote"
