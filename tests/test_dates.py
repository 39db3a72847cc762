"""Uncertain dates: parsing, ranges, ordering and overlap filters."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kirok.domain.dates import DateParseError, UncertainDate, overlaps, parse_date

D = date


@pytest.mark.parametrize(
    ("text", "earliest", "latest", "approximate", "uncertain"),
    [
        ("2004", D(2004, 1, 1), D(2004, 12, 31), False, False),
        ("2004-05", D(2004, 5, 1), D(2004, 5, 31), False, False),
        ("2004-02", D(2004, 2, 1), D(2004, 2, 29), False, False),
        ("2004-05-17", D(2004, 5, 17), D(2004, 5, 17), False, False),
        ("2004~", D(2003, 1, 1), D(2005, 12, 31), True, False),
        ("2004-01~", D(2003, 12, 1), D(2004, 2, 29), True, False),
        ("2004-05-17~", D(2004, 5, 10), D(2004, 5, 24), True, False),
        ("2004?", D(2004, 1, 1), D(2004, 12, 31), False, True),
        ("2004%", D(2003, 1, 1), D(2005, 12, 31), True, True),
        ("2003/2005", D(2003, 1, 1), D(2005, 12, 31), False, False),
        ("2003-05/2004-02", D(2003, 5, 1), D(2004, 2, 29), False, False),
        ("2003~/2005", D(2002, 1, 1), D(2005, 12, 31), True, False),
        ("../2005", date.min, D(2005, 12, 31), False, False),
        ("2003/..", D(2003, 1, 1), date.max, False, False),
        ("2003?/..", D(2003, 1, 1), date.max, False, True),
        ("2004-21", D(2004, 3, 1), D(2004, 5, 31), False, False),
        ("2004-22", D(2004, 6, 1), D(2004, 8, 31), False, False),
        ("2004-23", D(2004, 9, 1), D(2004, 11, 30), False, False),
        ("2003-24", D(2003, 12, 1), D(2004, 2, 29), False, False),
        ("2004-21~", D(2003, 12, 1), D(2004, 8, 31), True, False),
        ("199X", D(1990, 1, 1), D(1999, 12, 31), False, False),
        ("199X~", D(1980, 1, 1), D(2009, 12, 31), True, False),
        ("19XX?", D(1900, 1, 1), D(1999, 12, 31), False, True),
        ("000X", date.min, D(9, 12, 31), False, False),
        ("199X/2003-22", D(1990, 1, 1), D(2003, 8, 31), False, False),
        ("9999-24", D(9999, 12, 1), date.max, False, False),
        ("0001~", date.min, D(2, 12, 31), True, False),
        ("9999-12~", D(9999, 11, 1), date.max, True, False),
    ],
)
def test_parse_ranges(
    text: str, earliest: date, latest: date, approximate: bool, uncertain: bool
) -> None:
    d = parse_date(text)
    assert (d.earliest, d.latest) == (earliest, latest)
    assert (d.approximate, d.uncertain) == (approximate, uncertain)
    assert d.to_edtf() == text
    assert str(d) == text


def test_surrounding_whitespace_is_ignored() -> None:
    assert parse_date("  1997-03 \n") == parse_date("1997-03")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "97",
        "1997-3",
        "1997-13",
        "1997-00",
        "2003-02-29",
        "2004-04-31",
        "0000",
        "1997~?",
        "~1997",
        "1997/1995",
        "2004-06/2004-05",
        "../..",
        "..",
        "/2005",
        "2003/",
        "1990/1995/2000",
        "spring 1997",
        "1997-05-17T10:00",
        "１９９７",
        "2004-25",
        "2004-20",
        "2004-21-05",
        "199X-05",
        "1X9X",
        "199x",
        "X999",
    ],
)
def test_invalid_text_is_rejected_and_quoted(text: str) -> None:
    with pytest.raises(DateParseError) as caught:
        parse_date(text)
    assert repr(text) in str(caught.value)
    assert isinstance(caught.value, ValueError)
    assert caught.value.text == text


def test_uncertain_date_cannot_have_inverted_range() -> None:
    with pytest.raises(ValueError, match="after latest"):
        UncertainDate(D(2000, 1, 2), D(2000, 1, 1), "bad")


def test_overlap_filter_examples() -> None:
    start, end = D(1995, 1, 1), D(1999, 12, 31)
    matching = ["1995", "1999-12-31", "1994~", "2000~", "../1995", "1999/..", "1990/2010", "1997?"]
    missing = ["1994", "2000-01", "1993~", "2001~", "../1994", "2000/..", "1994-12-24~"]
    assert all(overlaps(parse_date(t), start, end) for t in matching)
    assert not any(parse_date(t).overlaps(start, end) for t in missing)
    with pytest.raises(ValueError, match="after its end"):
        overlaps(parse_date("1997"), end, start)


def test_sorting_is_by_earliest_then_latest_then_text() -> None:
    texts = [
        "1997",
        "../1990",
        "1997-01",
        "1996~",
        "1997-01-01",
        "1997?",
        "2001/..",
        "1997-01-01/..",
    ]
    ordered = [d.text for d in sorted(parse_date(t) for t in texts)]
    assert ordered == [
        "../1990",
        "1996~",
        "1997-01-01",
        "1997-01",
        "1997",
        "1997?",
        "1997-01-01/..",
        "2001/..",
    ]


# --- property-based -------------------------------------------------------------------------

QUALIFIERS = st.sampled_from(["", "~", "?", "%"])


@st.composite
def single_texts(draw: st.DrawFn) -> str:
    year = draw(st.integers(1, 9999))
    precision = draw(st.sampled_from(["year", "month", "day", "season", "decade", "century"]))
    qualifier = draw(QUALIFIERS)
    if precision == "year":
        return f"{year:04d}{qualifier}"
    if precision == "decade":
        return f"{year // 10:03d}X{qualifier}"
    if precision == "century":
        return f"{year // 100:02d}XX{qualifier}"
    if precision == "season":
        return f"{year:04d}-{draw(st.integers(21, 24))}{qualifier}"
    month = draw(st.integers(1, 12))
    if precision == "month":
        return f"{year:04d}-{month:02d}{qualifier}"
    day = draw(st.integers(1, calendar.monthrange(year, month)[1]))
    return f"{year:04d}-{month:02d}-{day:02d}{qualifier}"


@st.composite
def edtf_texts(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["single", "interval", "open_start", "open_end"]))
    if kind == "single":
        return draw(single_texts())
    if kind == "open_start":
        return f"../{draw(single_texts())}"
    if kind == "open_end":
        return f"{draw(single_texts())}/.."
    a, b = draw(single_texts()), draw(single_texts())
    if parse_date(a).earliest > parse_date(b).latest:
        a, b = b, a
    return f"{a}/{b}"


dates = edtf_texts().map(parse_date)


def _year_bounds(single: str) -> tuple[int, int]:
    """Calendar years a single EDTF text can reach, computed from the text alone."""
    body = single.rstrip("~?%")
    approx = single.endswith(("~", "%"))
    if "X" in body:
        width = 10 ** body.count("X")
        lo, hi = int(body.replace("X", "0")), int(body.replace("X", "9"))
        if approx:
            lo, hi = lo - width, hi + width
        return max(lo, 1), min(hi, 9999)
    year = int(body[:4])
    if len(body) == 4:
        return (year - 1, year + 1) if approx else (year, year)
    code = int(body[5:7])
    if len(body) == 7 and code > 12:  # season: months first..first+2 (+-3 when approximate)
        first = year * 12 + {21: 2, 22: 5, 23: 8, 24: 11}[code]
        last = first + 2
        if approx:
            first, last = first - 3, last + 3
        return max(first // 12, 1), min(last // 12, 9999)
    if len(body) == 7:
        if not approx:
            return year, year
        return (year - 1 if code == 1 else year), (year + 1 if code == 12 else year)
    if not approx:
        return year, year
    day = date(year, code, int(body[8:10]))
    week = timedelta(days=7)
    lo = (day - week).year if day - date.min >= week else 1
    hi = (day + week).year if date.max - day >= week else 9999
    return lo, hi


@given(edtf_texts())
def test_round_trip(text: str) -> None:
    d = parse_date(text)
    assert d.to_edtf() == text
    assert parse_date(d.to_edtf()) == d
    assert d.earliest <= d.latest
    assert d.approximate == ("~" in text or "%" in text)
    assert d.uncertain == ("?" in text or "%" in text)


@given(dates, dates)
def test_ordering_is_total_and_antisymmetric(a: UncertainDate, b: UncertainDate) -> None:
    assert (a < b) + (a == b) + (a > b) == 1
    assert (a <= b and b <= a) == (a == b)
    if a == b:
        assert a.text == b.text and hash(a) == hash(b)


@given(dates, dates, dates)
def test_ordering_is_transitive(a: UncertainDate, b: UncertainDate, c: UncertainDate) -> None:
    if a <= b and b <= c:
        assert a <= c
    first, second, third = sorted([a, b, c])
    assert (first.earliest, first.latest) <= (second.earliest, second.latest)
    assert (second.earliest, second.latest) <= (third.earliest, third.latest)


@given(edtf_texts())
def test_filter_1995_1999_matches_exactly_the_dates_whose_years_reach_it(text: str) -> None:
    # Oracle from the text's components, independent of earliest/latest.
    ends = text.split("/")
    if len(ends) == 1:
        lo, hi = _year_bounds(text)
    else:
        lo = 1 if ends[0] == ".." else _year_bounds(ends[0])[0]
        hi = 9999 if ends[1] == ".." else _year_bounds(ends[1])[1]
    expected = lo <= 1999 and hi >= 1995
    assert overlaps(parse_date(text), D(1995, 1, 1), D(1999, 12, 31)) is expected


@given(dates, st.dates(), st.dates(), st.data())
def test_overlap_agrees_with_days_in_range(
    d: UncertainDate, x: date, y: date, data: st.DataObject
) -> None:
    start, end = min(x, y), max(x, y)
    day = data.draw(st.dates(min_value=d.earliest, max_value=d.latest))
    if start <= day <= end:
        assert overlaps(d, start, end)
    if not overlaps(d, start, end):
        assert day < start or day > end


def test_public_names_exist() -> None:
    import kirok.domain.dates as module

    assert module.__all__ and all(hasattr(module, name) for name in module.__all__)
