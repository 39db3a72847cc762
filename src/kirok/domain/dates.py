"""Uncertain dates: a subset of the Extended Date/Time Format (EDTF, ISO 8601-2).

Testimony rarely gives an exact day. A witness remembers "spring 2004", "about 1997" or "some
time before 2005", and the record must keep that uncertainty instead of inventing a day. Every
value therefore carries the text the documenter entered (in canonical EDTF form) and the closed
range of days ``[earliest, latest]`` it can stand for. Filters and sorting work on that range.

Accepted forms (see ``docs/adr/0002-uncertain-dates.md`` for the reasoning):

=================  =======================================  ==============================
text               meaning                                  range
=================  =======================================  ==============================
``2004``           some day in 2004                         2004-01-01 .. 2004-12-31
``2004-05``        some day in May 2004                     2004-05-01 .. 2004-05-31
``2004-05-17``     that day                                 2004-05-17 .. 2004-05-17
``2004~``          approximately 2004                       2003-01-01 .. 2005-12-31
``2004-05~``       approximately May 2004                   2004-04-01 .. 2004-06-30
``2004-05-17~``    approximately 17 May 2004                2004-05-10 .. 2004-05-24
``2004-21``        spring 2004 (seasons 21-24)              2004-03-01 .. 2004-05-31
``2004-24``        winter 2004/05                           2004-12-01 .. 2005-02-28
``199X``           some year in the 1990s                   1990-01-01 .. 1999-12-31
``19XX``           some year in the 1900s                   1900-01-01 .. 1999-12-31
``2004?``          2004, but the source is unsure           2004-01-01 .. 2004-12-31
``2004%``          approximate and uncertain                as ``2004~``
``2003/2005``      an interval                              2003-01-01 .. 2005-12-31
``../2005``        open start: on or before 2005            0001-01-01 .. 2005-12-31
``2003/..``        open end: 2003 or later                  2003-01-01 .. 9999-12-31
=================  =======================================  ==============================

``~`` widens the range by one unit of the stated precision on each side (a year, a month, a
season, a decade, a century), and by seven days for a day. ``?`` does not widen it: it flags
doubt about the source, not vagueness of the value.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

__all__ = [
    "APPROXIMATE_DAY_WIDENING",
    "SEASONS",
    "DateParseError",
    "UncertainDate",
    "overlaps",
    "parse_date",
]

#: How far ``~`` widens a day-precision date on each side.
APPROXIMATE_DAY_WIDENING: Final = timedelta(days=7)

OPEN: Final = ".."

_SINGLE = re.compile(
    r"(?P<year>[0-9]{4}|[0-9]{3}X|[0-9]{2}XX)"
    r"(?:-(?P<month>[0-9]{2})(?:-(?P<day>[0-9]{2}))?)?(?P<qual>[~?%])?"
)
#: EDTF level-1 seasons (northern hemisphere): code -> first month; each lasts three months.
SEASONS: Final = {21: 3, 22: 6, 23: 9, 24: 12}


class DateParseError(ValueError):
    """Text that is not a date in the accepted EDTF subset. The message quotes the text."""

    def __init__(self, text: str, reason: str) -> None:
        self.text = text
        self.reason = reason
        super().__init__(f"invalid date {text!r}: {reason}")


@dataclass(frozen=True, order=True)
class UncertainDate:
    """A date known only to lie somewhere in ``[earliest, latest]`` (both inclusive).

    Build it with :func:`parse_date`. Ordering is total: by ``earliest``, then ``latest``, then
    the canonical ``text`` (two values with equal text are equal in every field).
    """

    earliest: date
    latest: date
    text: str
    approximate: bool = False
    uncertain: bool = False

    def __post_init__(self) -> None:
        if self.earliest > self.latest:
            raise ValueError(
                f"date {self.text!r}: earliest {self.earliest} after latest {self.latest}"
            )

    @classmethod
    def parse(cls, text: str) -> UncertainDate:
        return parse_date(text)

    def to_edtf(self) -> str:
        """The canonical EDTF text; ``parse_date(d.to_edtf()) == d``."""
        return self.text

    @property
    def is_interval(self) -> bool:
        return "/" in self.text

    @property
    def is_exact_day(self) -> bool:
        return self.earliest == self.latest and not (self.approximate or self.uncertain)

    def overlaps(self, start: date, end: date) -> bool:
        return overlaps(self, start, end)

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class _Part:
    text: str
    earliest: date
    latest: date
    approximate: bool
    uncertain: bool


def _first_day(month_index: int) -> date:
    year, month = divmod(month_index, 12)
    return date.min if year < 1 else date(year, month + 1, 1)


def _last_day(month_index: int) -> date:
    year, month = divmod(month_index, 12)
    if year > 9999:
        return date.max
    return date(year, month + 1, calendar.monthrange(year, month + 1)[1])


def _clamp_shift(day: date, delta: timedelta) -> date:
    try:
        return day + delta
    except OverflowError:
        return date.max if delta > timedelta(0) else date.min


_FORMS = (
    "YYYY, YYYX, YYXX, YYYY-MM, YYYY-SS (season 21-24) or YYYY-MM-DD, with an optional ~, ? or %"
)


def _parse_part(whole: str, text: str) -> _Part:
    match = _SINGLE.fullmatch(text)
    if match is None:
        raise DateParseError(whole, f"{text!r} is not {_FORMS}")
    qual = match["qual"] or ""
    approximate = qual in ("~", "%")
    uncertain = qual in ("?", "%")
    year_text: str = match["year"]
    unspecified = year_text.count("X")
    year = int(year_text.replace("X", "0"))
    if year == 0 and not unspecified:
        raise DateParseError(whole, "year 0000 is outside the supported range 0001-9999")
    if unspecified and match["month"] is not None:
        raise DateParseError(whole, f"{year_text} (unspecified digits) cannot take a month")

    if match["day"] is not None:
        month, day = int(match["month"]), int(match["day"])
        if not 1 <= month <= 12:
            raise DateParseError(whole, f"month {match['month']} is not between 01 and 12")
        if not 1 <= day <= calendar.monthrange(year, month)[1]:
            raise DateParseError(
                whole, f"day {match['day']} does not exist in {year:04d}-{month:02d}"
            )
        exact = date(year, month, day)
        if not approximate:
            return _Part(text, exact, exact, approximate, uncertain)
        return _Part(
            text,
            _clamp_shift(exact, -APPROXIMATE_DAY_WIDENING),
            _clamp_shift(exact, APPROXIMATE_DAY_WIDENING),
            approximate,
            uncertain,
        )

    # Spans in months since year 0: [first, last] and the unit "~" widens by on each side.
    if match["month"] is None:
        unit = 12 * 10**unspecified  # a year, a decade (199X) or a century (19XX)
        first, last = year * 12, year * 12 + unit - 1
    else:
        code = int(match["month"])
        if 1 <= code <= 12:
            unit, first = 1, year * 12 + code - 1
        elif code in SEASONS:
            unit, first = 3, year * 12 + SEASONS[code] - 1
        else:
            raise DateParseError(whole, f"month {match['month']} is not 01-12 or a season 21-24")
        last = first + unit - 1
    if approximate:
        first, last = first - unit, last + unit
    return _Part(text, _first_day(first), _last_day(last), approximate, uncertain)


def parse_date(text: str) -> UncertainDate:
    """Parse EDTF-subset ``text`` (surrounding whitespace ignored).

    Raises :class:`DateParseError`, whose message quotes ``text``, for anything else, including
    impossible days (``2003-02-29``) and intervals whose end lies before their start.
    """
    if not isinstance(text, str):
        raise DateParseError(repr(text), "a date must be given as text")
    stripped = text.strip()
    if not stripped:
        raise DateParseError(text, "empty date")
    if "/" not in stripped:
        if stripped == OPEN:
            raise DateParseError(text, "'..' is only allowed as one end of an interval")
        part = _parse_part(text, stripped)
        return UncertainDate(
            part.earliest, part.latest, part.text, part.approximate, part.uncertain
        )
    pieces = stripped.split("/")
    if len(pieces) != 2:
        raise DateParseError(text, "an interval has exactly one '/'")
    left, right = pieces
    if left == OPEN and right == OPEN:
        raise DateParseError(text, "an interval needs at least one known end")
    if not left or not right:
        raise DateParseError(text, "write an open end as '..', e.g. '../2005'")
    start = None if left == OPEN else _parse_part(text, left)
    end = None if right == OPEN else _parse_part(text, right)
    earliest = date.min if start is None else start.earliest
    latest = date.max if end is None else end.latest
    if start is not None and end is not None and start.earliest > end.latest:
        raise DateParseError(text, "the interval ends before it starts")
    parts = [p for p in (start, end) if p is not None]
    return UncertainDate(
        earliest,
        latest,
        f"{left}/{right}",
        any(p.approximate for p in parts),
        any(p.uncertain for p in parts),
    )


def overlaps(d: UncertainDate, start: date, end: date) -> bool:
    """Whether ``d`` could fall within ``[start, end]`` (inclusive): the ranges intersect.

    A search for 1995-1999 must not lose a testimony dated ``1994~`` or ``../1996``: when in
    doubt a record is included, and the reader sees its uncertain date.
    """
    if start > end:
        raise ValueError(f"filter start {start} is after its end {end}")
    return d.earliest <= end and d.latest >= start
