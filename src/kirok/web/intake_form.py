"""The interview intake wizard's form: its steps, its fields, and the checks of each step.

The wizard keeps nothing on the server between steps. Each step posts the values of every step
(the others as hidden fields) and the server checks the current one; only the last step writes,
and it checks every step again first (``IntakeForm.problems``), so a value altered in the
browser between steps is caught before anything is stored. Testimony never sits in a session
cookie (signed, not encrypted) or in a server-side draft table that would need its own keys and
retention rules.

No I/O here: parsing and checking only. Problems are keyed by field (``victim_name-1`` for the
second victim row) and name an interface string, so the page shows each next to its field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from kirok.domain.dates import DateParseError, parse_date
from kirok.domain.records import Confidentiality
from kirok.domain.vocabulary import UnknownTermError, get_term
from kirok.services.intake import Interview, Perpetrator, Victim, Where

STEPS = ("source", "event", "victims", "perpetrators", "places", "evidence")
CONSENT_SCOPES = ("internal", "share_un", "courts", "publication")
LANGUAGES = ("ko", "en", "zh", "other")
PERPETRATOR_KINDS = ("unit", "individual")
#: Radii offered for "where": the gazetteer place itself, or somewhere within this many km of it.
UNCERTAINTY_KM = (0, 1, 5, 25, 100)
#: Rows a step accepts; a real interview names a handful of victims or perpetrators.
MAX_ROWS = 30
#: Text limits (characters): testimony may be long, names and titles are not.
MAX_TEXT = {"testimony": 100_000, "event_description": 20_000}
DEFAULT_MAX_TEXT = 500

# The ESF vocabularies each select field draws from (a value outside its list is refused).
VOCABULARY_OF = {
    "source_connection": "source_connection_to_information",
    "source_reliability": "reliability",
    "victim_sex": "sex",
    "act_type": "types_of_acts",
    "perp_type": "types_of_perpetrators",
    "perp_degree": "degrees_of_involvement",
}

# Per step: single-valued fields, then fields with one value per row.
_SINGLE: Mapping[str, tuple[str, ...]] = {
    "source": (
        "source_name",
        "source_connection",
        "source_reliability",
        "source_language",
        "source_date",
        "testimony",
        "consent_date",
        "family_at_risk",
        "confidentiality",
    ),
    "event": (
        "event_title",
        "event_description",
        "start_date",
        "end_date",
        "event_place",
        "event_place_km",
    ),
    "victims": (),
    "perpetrators": (),
    "places": (),
    "evidence": ("evidence_description",),
}
_ROWS: Mapping[str, tuple[str, ...]] = {
    "source": (),
    "event": (),
    "victims": ("victim_name", "victim_sex", "victim_birth", "act_type"),
    "perpetrators": (
        "perp_existing",
        "perp_name",
        "perp_kind",
        "perp_type",
        "perp_degree",
        "perp_victim",
    ),
    "places": ("act_place", "act_place_km"),
    "evidence": (),
}
_MULTI = ("consent_scope",)  # checkboxes: any number of values, not rows
_STEP_OF_MULTI = {"consent_scope": "source"}


class FormData(Protocol):
    """What the wizard reads from a posted form (Starlette's ``FormData`` fits)."""

    def getlist(self, key: str) -> Sequence[object]: ...


def _text(value: object, name: str) -> str:
    text = value.strip() if isinstance(value, str) else ""
    return text[: MAX_TEXT.get(name, DEFAULT_MAX_TEXT)]


@dataclass
class IntakeForm:
    """Every value of the wizard, as posted (strings; checked by ``problems``)."""

    single: dict[str, str] = field(default_factory=dict)
    rows: dict[str, list[str]] = field(default_factory=dict)
    multi: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def parse(cls, form: FormData) -> IntakeForm:
        single: dict[str, str] = {}
        rows: dict[str, list[str]] = {}
        for step in STEPS:
            for name in _SINGLE[step]:
                values = form.getlist(name)
                single[name] = _text(values[0], name) if values else ""
            for name in _ROWS[step]:
                rows[name] = [_text(v, name) for v in list(form.getlist(name))[:MAX_ROWS]]
        multi = {
            name: [v for v in (_text(x, name) for x in form.getlist(name)) if v][:10]
            for name in _MULTI
        }
        # The level defaults as the single-form intake did: confidential.
        single["confidentiality"] = single["confidentiality"] or Confidentiality.CONFIDENTIAL.value
        parsed = cls(single, rows, multi)
        parsed._align()
        return parsed

    def _align(self) -> None:
        """Rows of a step have the same length (a missing cell is empty)."""
        for step in STEPS:
            names = _ROWS[step]
            if not names:
                continue
            length = max(1, *(len(self.rows[n]) for n in names))
            if step == "places":  # one place row per victim row, whatever was posted
                length = len(self.rows["victim_name"])
            for name in names:
                self.rows[name] = (self.rows[name] + [""] * length)[:length]

    def get(self, name: str) -> str:
        return self.single.get(name, "")

    def row_count(self, step: str) -> int:
        names = _ROWS[step]
        return len(self.rows[names[0]]) if names else 0

    def add_row(self, step: str) -> None:
        if self.row_count(step) < MAX_ROWS:
            for name in _ROWS[step]:
                self.rows[name].append("")

    def victim_rows(self) -> list[int]:
        """Indexes of victim rows with anything filled in (blank extra rows are ignored)."""
        return [
            i
            for i in range(self.row_count("victims"))
            if any(self.rows[n][i] for n in _ROWS["victims"])
        ]

    def perpetrator_rows(self) -> list[int]:
        """Rows naming a perpetrator: a new one by name, or one already recorded."""
        return [
            i
            for i in range(self.row_count("perpetrators"))
            if self.rows["perp_name"][i] or self.rows["perp_existing"][i]
        ]

    def hidden_pairs(self, step: str) -> list[tuple[str, str]]:
        """The values of every step but `step`, to carry as hidden fields."""
        out: list[tuple[str, str]] = []
        for other in STEPS:
            if other == step:
                continue
            out.extend((n, self.single[n]) for n in _SINGLE[other])
            for name in _ROWS[other]:
                out.extend((name, v) for v in self.rows[name])
        for name in _MULTI:
            if _STEP_OF_MULTI[name] != step:
                out.extend((name, v) for v in self.multi[name])
        return out

    # ------------------------------------------------------------------------------ checks

    def problems(
        self,
        step: str,
        *,
        place_exists: Callable[[str], bool],
        levels: Sequence[str],
        perpetrator_exists: Callable[[str], bool] = lambda _id: False,
    ) -> dict[str, str]:
        """Field -> interface-string key of what is wrong in `step` (empty when all is well)."""
        out: dict[str, str] = {}
        if step == "source":
            self._check_source(out, levels)
        elif step == "event":
            self._check_event(out, place_exists)
        elif step == "victims":
            self._check_victims(out)
        elif step == "perpetrators":
            self._check_perpetrators(out, perpetrator_exists)
        elif step == "places":
            self._check_places(out, place_exists)
        return out

    def all_problems(
        self,
        *,
        place_exists: Callable[[str], bool],
        levels: Sequence[str],
        perpetrator_exists: Callable[[str], bool] = lambda _id: False,
    ) -> tuple[str | None, dict[str, str]]:
        """The first step with a problem and its problems, or (None, {})."""
        for step in STEPS:
            found = self.problems(
                step,
                place_exists=place_exists,
                levels=levels,
                perpetrator_exists=perpetrator_exists,
            )
            if found:
                return step, found
        return None, {}

    def _check_source(self, out: dict[str, str], levels: Sequence[str]) -> None:
        if not self.get("source_name"):
            out["source_name"] = "intake.err.required"
        _term(out, "source_connection", self.get("source_connection"))
        _term(out, "source_reliability", self.get("source_reliability"))
        if self.get("source_language") not in ("", *LANGUAGES):
            out["source_language"] = "intake.err.choice"
        _edtf(out, "source_date", self.get("source_date"))
        consent_date = self.get("consent_date")
        if consent_date:
            try:
                date.fromisoformat(consent_date)
            except ValueError:
                out["consent_date"] = "intake.err.day"
        if any(s not in CONSENT_SCOPES for s in self.multi["consent_scope"]):
            out["consent_scope"] = "intake.err.choice"
        if self.get("family_at_risk") not in ("", "1"):
            out["family_at_risk"] = "intake.err.choice"
        if self.get("confidentiality") not in levels:
            out["confidentiality"] = "intake.err.level"

    def _check_event(self, out: dict[str, str], place_exists: Callable[[str], bool]) -> None:
        if not self.get("event_title"):
            out["event_title"] = "intake.err.required"
        _edtf(out, "start_date", self.get("start_date"))
        _edtf(out, "end_date", self.get("end_date"))
        if "start_date" not in out and "end_date" not in out:
            start, end = self.get("start_date"), self.get("end_date")
            if start and end and parse_date(end).latest < parse_date(start).earliest:
                out["end_date"] = "intake.err.end_before_start"
        _place(
            out, "event_place", self.get("event_place"), self.get("event_place_km"), place_exists
        )

    def _check_victims(self, out: dict[str, str]) -> None:
        filled = self.victim_rows()
        if not filled:
            out["victim_name-0"] = "intake.err.one_victim"
            return
        for i in filled:
            if not self.rows["victim_name"][i]:
                out[f"victim_name-{i}"] = "intake.err.required"
            if not self.rows["act_type"][i]:
                out[f"act_type-{i}"] = "intake.err.required"
            else:
                _term(out, f"act_type-{i}", self.rows["act_type"][i], "act_type")
            _term(out, f"victim_sex-{i}", self.rows["victim_sex"][i], "victim_sex")
            _edtf(out, f"victim_birth-{i}", self.rows["victim_birth"][i])

    def _check_perpetrators(
        self, out: dict[str, str], perpetrator_exists: Callable[[str], bool]
    ) -> None:
        victims = {str(i) for i in self.victim_rows()}
        for i in range(self.row_count("perpetrators")):
            name, existing = self.rows["perp_name"][i], self.rows["perp_existing"][i]
            others = [self.rows[n][i] for n in ("perp_type", "perp_degree")]
            if existing and not perpetrator_exists(existing):
                out[f"perp_existing-{i}"] = "intake.err.choice"
            elif existing and name:
                out[f"perp_name-{i}"] = "intake.err.name_or_existing"
            if not name and not existing:
                if any(others):
                    out[f"perp_name-{i}"] = "intake.err.required"
                continue
            if not existing and self.rows["perp_kind"][i] not in PERPETRATOR_KINDS:
                out[f"perp_kind-{i}"] = "intake.err.choice"
            _term(out, f"perp_type-{i}", self.rows["perp_type"][i], "perp_type")
            _term(out, f"perp_degree-{i}", self.rows["perp_degree"][i], "perp_degree")
            target = self.rows["perp_victim"][i]
            if target not in ("", "all") and target not in victims:
                out[f"perp_victim-{i}"] = "intake.err.choice"

    def _check_places(self, out: dict[str, str], place_exists: Callable[[str], bool]) -> None:
        for i in range(self.row_count("places")):
            _place(
                out,
                f"act_place-{i}",
                self.rows["act_place"][i],
                self.rows["act_place_km"][i],
                place_exists,
            )

    # ------------------------------------------------------------------------------ values

    @property
    def level(self) -> Confidentiality:
        return Confidentiality(self.get("confidentiality"))

    def km(self, value: str) -> int:
        return int(value) if value.isdigit() else 0

    def to_interview(self) -> Interview:
        """The interview these values describe, for the intake service (check them first)."""
        rows = self.rows
        filled = self.victim_rows()
        position = {str(row): i for i, row in enumerate(filled)}

        def where(place_id: str, km: str) -> Where | None:
            return Where(place_id, self.km(km)) if place_id else None

        def optional(name: str) -> str | None:
            return self.get(name) or None

        victims = [
            Victim(
                name=rows["victim_name"][i],
                act_type=rows["act_type"][i],
                sex=rows["victim_sex"][i] or None,
                birth_date=rows["victim_birth"][i] or None,
                where=where(rows["act_place"][i], rows["act_place_km"][i]),
            )
            for i in filled
        ]
        perpetrators = []
        for i in self.perpetrator_rows():
            target = rows["perp_victim"][i]
            perpetrators.append(
                Perpetrator(
                    name=rows["perp_name"][i] or None,
                    existing_id=rows["perp_existing"][i] or None,
                    is_unit=rows["perp_kind"][i] == "unit",
                    perpetrator_type=rows["perp_type"][i] or None,
                    degree=rows["perp_degree"][i] or None,
                    victims=None if target in ("", "all") else (position[target],),
                )
            )
        consent_day = self.get("consent_date")
        return Interview(
            source_name=self.get("source_name"),
            event_title=self.get("event_title"),
            victims=victims,
            level=self.level,
            source_connection=optional("source_connection"),
            source_reliability=optional("source_reliability"),
            source_language=optional("source_language"),
            source_date=optional("source_date"),
            testimony=optional("testimony"),
            consent_scopes=tuple(self.multi["consent_scope"]),
            consent_date=date.fromisoformat(consent_day) if consent_day else None,
            family_at_risk=self.get("family_at_risk") == "1",
            event_description=optional("event_description"),
            start_date=optional("start_date"),
            end_date=optional("end_date"),
            event_where=where(self.get("event_place"), self.get("event_place_km")),
            perpetrators=perpetrators,
            evidence_description=optional("evidence_description"),
        )


def _term(out: dict[str, str], key: str, value: str, vocab_field: str | None = None) -> None:
    """An empty value is fine; anything else must be a term of the field's vocabulary."""
    if not value:
        return
    wanted = VOCABULARY_OF[vocab_field or key]
    try:
        term = get_term(value)
    except UnknownTermError:
        out[key] = "intake.err.term"
        return
    if term.list_name != wanted:
        out[key] = "intake.err.term"


def _edtf(out: dict[str, str], key: str, value: str) -> None:
    if not value:
        return
    try:
        parse_date(value)
    except DateParseError:
        out[key] = "intake.err.date"


def _place(
    out: dict[str, str],
    key: str,
    place_id: str,
    km: str,
    place_exists: Callable[[str], bool],
) -> None:
    km_key = key.replace("place", "place_km", 1)
    if km and (not km.isdigit() or int(km) not in UNCERTAINTY_KM):
        out[km_key] = "intake.err.choice"
    if place_id and not place_exists(place_id):
        out[key] = "intake.err.place"
    elif km and km != "0" and not place_id:
        out[key] = "intake.err.place_for_radius"
