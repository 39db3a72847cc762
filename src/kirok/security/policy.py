"""THE policy: who may do what to which record, which fields they see, and what may leave.

Every read, write and export in kirok is decided here and nowhere else:

- `can(user, action, entity_kind, record_confidentiality)`: the role table (`PERMISSIONS`, parsed
  from the grid below) and the record's confidentiality against the user's clearance;
- `redact(entity_kind, record, user, pseudonyms=…)`: field-level redaction by role, driven by
  `FIELD_CLASSES`, whose keys are also `SENSITIVE_FIELDS`, the fields the store encrypts;
- `may_leave(consents, scope, on_date)`: consent for anything that leaves the organisation
  (API to outsiders, export, report, public site);
- `internal_use(user, consents, on_date)`: the same consent, read for the "internal" scope, for
  staff reads (the JSON API and the web pages); `redact(..., consents=…)` applies it.

Everything is default-deny: a role, kind or action missing from a table is refused, and a record
without a confidentiality level is treated as secret.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import IntEnum, StrEnum
from typing import Any, Protocol

from kirok.security.errors import PermissionDenied


class Role(StrEnum):
    ADMIN = "admin"
    ANALYST = "analyst"
    DOCUMENTER = "documenter"
    REVIEWER = "reviewer"
    VIEWER = "viewer"


class Action(StrEnum):
    READ = "read"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    EXPORT = "export"
    REVIEW = "review"
    MANAGE_USERS = "manage_users"
    MANAGE_KEYS = "manage_keys"


class EntityKind(StrEnum):
    EVENT = "event"
    EVENT_LINK = "event_link"
    PERSON = "person"
    BIOGRAPHIC_LINK = "biographic_link"
    ACT = "act"
    INVOLVEMENT = "involvement"
    INFORMATION = "information"
    INTERVENTION = "intervention"
    PLACE = "place"
    EVIDENCE = "evidence"
    CONSENT = "consent"
    DESIGNATION = "designation"
    RESOLUTION = "resolution"
    SANCTION_ENTRY = "sanction_entry"
    STATISTIC = "statistic"
    LINK_DECISION = "link_decision"
    LINKAGE_RUN = "linkage_run"
    ESTIMATION_RUN = "estimation_run"
    REFUGEE_CASE = "refugee_case"
    VOCABULARY = "vocabulary"
    USER = "user"
    AUDIT = "audit"
    KEY = "key"  # the key store: the object of `manage_keys`


class Confidentiality(IntEnum):
    PUBLIC = 0
    INTERNAL = 1
    CONFIDENTIAL = 2
    SECRET = 3

    @classmethod
    def parse(cls, value: object) -> Confidentiality:
        """From an enum, int or name; None or anything unknown is SECRET (fail closed)."""
        if isinstance(value, Confidentiality):
            return value
        if isinstance(value, str) and value.upper() in cls.__members__:
            return cls[value.upper()]
        if isinstance(value, int) and not isinstance(value, bool) and value in set(cls):
            return cls(value)
        return cls.SECRET


# The highest level each role may ever see; a user's own clearance can only lower it.
ROLE_CLEARANCE: Mapping[Role, Confidentiality] = {
    Role.ADMIN: Confidentiality.SECRET,
    Role.DOCUMENTER: Confidentiality.SECRET,
    Role.REVIEWER: Confidentiality.CONFIDENTIAL,
    Role.ANALYST: Confidentiality.CONFIDENTIAL,
    Role.VIEWER: Confidentiality.INTERNAL,
}


class Principal(Protocol):
    """What the policy needs to know about a user (the store's user rows satisfy it)."""

    @property
    def id(self) -> str: ...
    @property
    def username(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def clearance(self) -> int: ...


@dataclass(frozen=True)
class User:
    id: str
    username: str
    role: Role
    clearance: Confidentiality


def effective_clearance(user: Principal) -> Confidentiality:
    """min(the user's clearance, their role's ceiling): a data-entry slip cannot raise it."""
    ceiling = ROLE_CLEARANCE[Role(user.role)]
    return Confidentiality(min(int(user.clearance), int(ceiling)))


@dataclass(frozen=True)
class Decision:
    """Allowed or not, and why (the reason is shown to the user and logged on refusal)."""

    allowed: bool
    reason: str

    def __bool__(self) -> bool:
        return self.allowed

    def require(self) -> None:
        if not self.allowed:
            raise PermissionDenied(self.reason)


# -- the permission table -----------------------------------------------------------------------
#
# Letters: R read, C create, U update, D delete, X export, V review, M manage_users,
# K manage_keys; "-" nothing. Deliberate gaps: nobody updates or deletes evidence (originals are
# immutable; working copies are new records), consent or audit entries (consent is revoked by
# an update that keeps history; the audit log is written only by the system); users are
# deactivated, not deleted; viewers never see evidence, consent, family links (biographic_link:
# who is related to a defector is what puts families at risk) or refugee cases.
_GRID = """
kind            admin     documenter  reviewer  analyst  viewer
event           RCUDXV    RCU         RV        RX       R
event_link      RCUDXV    RCU         RV        RX       R
person          RCUDXV    RCU         RV        RX       R
biographic_link RCUDXV    RCU         RV        RX       -
act             RCUDXV    RCU         RV        RX       R
involvement     RCUDXV    RCU         RV        RX       R
information     RCUDXV    RCU         RV        RX       R
intervention    RCUDXV    RCU         RV        RCUX     R
place           RCUDXV    RCU         RV        RCUX     R
evidence        RCXV      RC          RV        R        -
consent         RCUX      RCU         R         R        -
designation     RCUDX     R           R         RCUDX    R
resolution      RCUDX     R           R         RCUDX    R
sanction_entry  RCUDX     R           R         RCUDX    R
statistic       RCUDX     R           R         RCUDX    R
link_decision   RCUDV     R           RCUV      R        -
linkage_run     RCUDX     -           R         RCX      -
estimation_run  RCUDX     -           R         RCX      R
refugee_case    RCUDXV    RCU         RV        RX       -
vocabulary      RCUDX     R           R         RCU      R
user            RCUM      -           -         -        -
audit           RX        -           R         -        -
key             K         -           -         -        -
"""
_LETTERS: Mapping[str, Action] = {
    "R": Action.READ,
    "C": Action.CREATE,
    "U": Action.UPDATE,
    "D": Action.DELETE,
    "X": Action.EXPORT,
    "V": Action.REVIEW,
    "M": Action.MANAGE_USERS,
    "K": Action.MANAGE_KEYS,
}


def parse_grid(grid: str) -> dict[Role, dict[EntityKind, frozenset[Action]]]:
    """Parse a permission grid; every role and entity kind must appear exactly once."""
    lines = [line.split() for line in grid.strip().splitlines() if line.strip()]
    header, rows = lines[0], lines[1:]
    roles = [Role(name) for name in header[1:]]
    if header[0] != "kind" or sorted(roles) != sorted(Role) or len(roles) != len(Role):
        raise ValueError("the grid header must be 'kind' and every role exactly once")
    table: dict[Role, dict[EntityKind, frozenset[Action]]] = {role: {} for role in roles}
    for row in rows:
        if len(row) != len(roles) + 1:
            raise ValueError(f"grid row {row[0]!r} has {len(row) - 1} cells, not {len(roles)}")
        kind = EntityKind(row[0])
        if kind in table[roles[0]]:
            raise ValueError(f"entity kind {kind} appears twice in the grid")
        for role, cell in zip(roles, row[1:], strict=True):
            letters = "" if cell == "-" else cell
            unknown = set(letters) - set(_LETTERS)
            if unknown or len(set(letters)) != len(letters):
                raise ValueError(f"bad grid cell {cell!r} for {role}/{kind}")
            table[role][kind] = frozenset(_LETTERS[c] for c in letters)
    missing = set(EntityKind) - set(table[roles[0]])
    if missing:
        raise ValueError(f"entity kinds missing from the grid: {sorted(missing)}")
    return table


PERMISSIONS: Mapping[Role, Mapping[EntityKind, frozenset[Action]]] = parse_grid(_GRID)


def can(
    user: Principal,
    action: Action | str,
    entity_kind: EntityKind | str,
    record_confidentiality: Confidentiality | int | str | None,
) -> Decision:
    """May `user` perform `action` on a record of `entity_kind` at `record_confidentiality`?

    For `create`, pass the level the new record will have: nobody creates a record they could
    not then read. Key and user management are not about records and ignore the level.
    """
    # Every record a list or search returns is checked: the decision is a pure function of
    # these values, so it is computed once per combination.
    return _decide(
        user.role, int(user.clearance), user.username, action, entity_kind, record_confidentiality
    )


@functools.lru_cache(maxsize=8192)
def _decide(
    user_role: str,
    user_clearance: int,
    username: str,
    action: Action | str,
    entity_kind: EntityKind | str,
    record_confidentiality: Confidentiality | int | str | None,
) -> Decision:
    role = Role(user_role)
    act = Action(action)
    kind = EntityKind(entity_kind)
    if act not in PERMISSIONS[role][kind]:
        return Decision(False, f"role {role} may not {act} {kind} records")
    if act in (Action.MANAGE_KEYS, Action.MANAGE_USERS):
        return Decision(True, f"role {role} may {act}")
    level = Confidentiality.parse(record_confidentiality)
    clearance = Confidentiality(min(user_clearance, int(ROLE_CLEARANCE[role])))
    if level > clearance:
        return Decision(
            False,
            f"the record is {level.name.lower()}; {username}'s clearance is "
            f"{clearance.name.lower()}",
        )
    return Decision(True, f"role {role} may {act} {kind} records up to {clearance.name.lower()}")


# -- sensitive fields and redaction ---------------------------------------------------------------


class FieldClass(StrEnum):
    IDENTITY = "identity"  # names of victims, witnesses and sources
    CONTACT = "contact"  # contact details, exact addresses, current whereabouts
    TESTIMONY = "testimony"  # what a witness said, in their words
    NARRATIVE = "narrative"  # free text written by staff; may name people in passing
    FILE = "file"  # evidence file contents
    CREDENTIAL = "credential"  # password hashes, TOTP secrets: never shown to anyone


class Visibility(StrEnum):
    PLAIN = "plain"
    PSEUDONYM = "pseudonym"
    HIDDEN = "hidden"


# Which sensitive fields each record kind has. The keys are the store's field names. Every
# field listed is encrypted at rest (SENSITIVE_FIELDS) and redacted by role (VISIBILITY).
# Victims' names are always encrypted: consent may later allow publishing them, but a stolen
# database must never reveal them.
FIELD_CLASSES: Mapping[EntityKind, Mapping[str, FieldClass]] = {
    EntityKind.PERSON: {
        "name_forms": FieldClass.IDENTITY,
        "aliases": FieldClass.IDENTITY,
        "contact": FieldClass.CONTACT,
        "address": FieldClass.CONTACT,
        "notes": FieldClass.NARRATIVE,
    },
    EntityKind.INFORMATION: {
        "source_name": FieldClass.IDENTITY,
        "source_contact": FieldClass.CONTACT,
        "testimony": FieldClass.TESTIMONY,
    },
    EntityKind.EVENT: {"description": FieldClass.NARRATIVE},
    EntityKind.EVENT_LINK: {"comments": FieldClass.NARRATIVE},
    EntityKind.EVIDENCE: {
        "file": FieldClass.FILE,  # the content, kept by the evidence store, never in a row
        "filename": FieldClass.IDENTITY,  # original names are often the interviewee's name
        "description": FieldClass.NARRATIVE,
    },
    # The custody path: where a person was held, by whom, and where they may be now.
    EntityKind.REFUGEE_CASE: {"steps": FieldClass.NARRATIVE},
    EntityKind.USER: {
        "email": FieldClass.CONTACT,
        "password_hash": FieldClass.CREDENTIAL,
        "totp_secret": FieldClass.CREDENTIAL,
    },
}

SENSITIVE_FIELDS: Mapping[str, frozenset[str]] = {
    kind: frozenset(FIELD_CLASSES.get(kind, {})) for kind in EntityKind
}

# How each role sees each class of sensitive field (columns as in the permission grid).
_VISIBILITY_GRID = """
class       admin  documenter  reviewer  analyst    viewer
identity    plain  plain       plain     pseudonym  hidden
contact     plain  plain       hidden    hidden     hidden
testimony   plain  plain       plain     hidden     hidden
narrative   plain  plain       plain     plain      hidden
file        plain  plain       plain     hidden     hidden
credential  hidden hidden      hidden    hidden     hidden
"""


def _parse_visibility(grid: str) -> dict[FieldClass, dict[Role, Visibility]]:
    lines = [line.split() for line in grid.strip().splitlines()]
    roles = [Role(name) for name in lines[0][1:]]
    table = {
        FieldClass(row[0]): {
            role: Visibility(cell) for role, cell in zip(roles, row[1:], strict=True)
        }
        for row in lines[1:]
    }
    if set(table) != set(FieldClass) or any(set(v) != set(Role) for v in table.values()):
        raise ValueError("the visibility grid must cover every field class and role")
    return table


VISIBILITY: Mapping[FieldClass, Mapping[Role, Visibility]] = _parse_visibility(_VISIBILITY_GRID)


class PseudonymSource(Protocol):
    """Gives stable pseudonyms (`MasterKey` and `Keyring` do)."""

    def pseudonym(self, entity_kind: str, record_id: str) -> str: ...


def field_visibility(entity_kind: EntityKind | str, field: str, user: Principal) -> Visibility:
    """How `user` sees `field` of an `entity_kind` record (unclassified fields are plain)."""
    cls = FIELD_CLASSES.get(EntityKind(entity_kind), {}).get(field)
    if cls is None:
        return Visibility.PLAIN
    return VISIBILITY[cls].get(Role(user.role), Visibility.HIDDEN)


def visibility_with_consent(
    entity_kind: EntityKind | str, field: str, user: Principal, internal: Decision | None
) -> Visibility:
    """`field_visibility`, after consent: `internal` is `internal_use(...)` for the record (None
    where consent was not asked); a refusal hides every sensitive field of the record."""
    kind = EntityKind(entity_kind)
    if (
        internal is not None
        and not internal
        and kind in CONSENT_KINDS
        and field in FIELD_CLASSES.get(kind, {})
    ):
        return Visibility.HIDDEN
    return field_visibility(kind, field, user)


def redact(
    entity_kind: EntityKind | str,
    record: Mapping[str, Any],
    user: Principal,
    *,
    pseudonyms: PseudonymSource,
    consents: Iterable[Consent] | None = None,
    on_date: date | None = None,
) -> dict[str, Any]:
    """A copy of `record` (already decrypted) fit for `user` to see.

    Raises `PermissionDenied` if `user` may not read the record at all (its `confidentiality`
    key; missing means secret). Hidden fields become None and are listed under "_redacted";
    pseudonymised identity fields hold e.g. "P-7F3A9C21B4E0" (from the record's "id") and are
    listed under "_pseudonymized". Nested records must be redacted with their own kind.

    Staff reads (API, web pages) pass `consents`, every consent bearing on the record, and
    `on_date`: `internal_use` then decides whether its sensitive fields are withheld. Callers
    that let data leave under another scope (exports, reports) decide with `may_leave` first
    and pass no consents here.
    """
    kind = EntityKind(entity_kind)
    can(user, Action.READ, kind, record.get("confidentiality")).require()
    internal: Decision | None = None
    if consents is not None:
        if on_date is None:
            raise ValueError("consents are judged on a date: pass on_date")
        internal = internal_use(user, kind, consents, on_date)
    out = dict(record)
    redacted: list[str] = []
    pseudonymised: list[str] = []
    for name in FIELD_CLASSES.get(kind, {}):
        if out.get(name) is None:
            continue
        seen = visibility_with_consent(kind, name, user, internal)
        if seen is Visibility.PSEUDONYM and record.get("id") is not None:
            out[name] = pseudonyms.pseudonym(kind, str(record["id"]))
            pseudonymised.append(name)
        elif seen is not Visibility.PLAIN:
            out[name] = None
            redacted.append(name)
    if redacted:
        out["_redacted"] = sorted(redacted)
    if pseudonymised:
        out["_pseudonymized"] = sorted(pseudonymised)
    return out


# -- consent ------------------------------------------------------------------------------------


class ConsentScope(StrEnum):
    INTERNAL = "internal"  # use inside the organisation (analysis, internal reports)
    SHARE_UN = "share_un"  # share with UN mechanisms (OHCHR Seoul, Special Rapporteur, COI)
    COURTS = "courts"  # give to courts and investigators
    PUBLICATION = "publication"  # publish (reports, public site)


@dataclass(frozen=True)
class Consent:
    """One consent given by (or for) a person or about one piece of information."""

    scopes: frozenset[ConsentScope]
    given: date
    revoked: date | None = None
    family_at_risk: bool = False

    def __post_init__(self) -> None:
        if self.revoked is not None and self.revoked < self.given:
            raise ValueError("consent cannot be revoked before it was given")


def may_leave(
    consents: Iterable[Consent],
    scope: ConsentScope | str,
    on_date: date,
    *,
    identifying: bool = True,
) -> Decision:
    """May data covered by `consents` leave under `scope` on `on_date`?

    Default deny: without a consent that names `scope`, was given on or before `on_date` and is
    not revoked by then, nothing leaves. A family-at-risk flag on ANY of the consents blocks
    publication of identifying data regardless of what else was agreed (relatives in North Korea
    can be punished for a defector's testimony). `identifying=False` is for content that has
    been stripped of identity; it still needs consent.

    Pass every consent that bears on what leaves: the information's own and those of each
    person it identifies (source, victim, relatives). Any one of them can block it.
    """
    wanted = ConsentScope(scope)
    records = list(consents)
    if (
        wanted is ConsentScope.PUBLICATION
        and identifying
        and any(c.family_at_risk for c in records)
    ):
        return Decision(False, "family at risk: identifying data is never published")
    covering = [c for c in records if wanted in c.scopes]
    active = [
        c for c in covering if c.given <= on_date and (c.revoked is None or on_date < c.revoked)
    ]
    if active:
        since = min(c.given for c in active)
        return Decision(True, f"consent for {wanted} given {since.isoformat()}")
    revoked = [c.revoked for c in covering if c.revoked is not None and c.revoked <= on_date]
    if revoked:
        return Decision(False, f"consent for {wanted} revoked on {max(revoked).isoformat()}")
    if covering:
        return Decision(False, f"consent for {wanted} not yet given on {on_date.isoformat()}")
    return Decision(False, f"no consent for {wanted}")


# -- consent inside the organisation ---------------------------------------------------------------
#
# Staff reads are use under the "internal" scope. Consent is recorded per person and per piece
# of information, so it bears on person and information records (the kinds whose sensitive
# fields say who someone is, how to reach them and what they told us) and on a person's refugee
# case.
#: Records whose sensitive fields a person's consent governs: the person, what was said (an
#: information) and the path of a refugee case (where someone was held and handed over).
CONSENT_KINDS: frozenset[EntityKind] = frozenset(
    {EntityKind.PERSON, EntityKind.INFORMATION, EntityKind.REFUGEE_CASE}
)


def consent_keeper(user: Principal) -> bool:
    """Roles that may update consent records keep it (admin, documenter, from the grid).

    They see what consent withholds from others: honouring a revocation, re-contacting a
    source or deleting a record all need the record itself.
    """
    return Action.UPDATE in PERMISSIONS[Role(user.role)][EntityKind.CONSENT]


def consent_bears(user: Principal, entity_kind: EntityKind | str) -> bool:
    """Whether consent can change what `user` sees of an `entity_kind` record (if not, a
    caller need not look the consents up)."""
    return EntityKind(entity_kind) in CONSENT_KINDS and not consent_keeper(user)


def internal_use(
    user: Principal,
    entity_kind: EntityKind | str,
    consents: Iterable[Consent],
    on_date: date,
) -> Decision:
    """May `user` see the sensitive fields of a record covered by `consents`, inside kirok?

    Refused (every sensitive field withheld; the rest of the record still shows, so lists,
    totals and counts count records, not identities) when, for a role below the consent
    keepers':

    - a family-at-risk flag is on any of the consents: relatives in North Korea can be
      punished for what a defector said, so the fewest people see who said it;
    - consent is on file but `may_leave(consents, "internal", on_date)` refuses it: revoked,
      not yet given, or given only for other scopes.

    A person or information with no consent on file (a victim named in someone else's
    testimony, a record still being taken down) is the organisation's own documentation, which
    is what internal use is: role redaction alone applies. Pass every consent bearing on the
    record: a person's own; an information's own and those of the people it names.
    """
    kind = EntityKind(entity_kind)
    if kind not in CONSENT_KINDS:
        return Decision(True, f"consent does not bear on {kind} records")
    if consent_keeper(user):
        return Decision(True, f"role {user.role} keeps consent")
    records = list(consents)
    if not records:
        return Decision(True, "no consent on file: internal documentation")
    if any(c.family_at_risk for c in records):
        return Decision(False, "family at risk: identifying data stays with consent keepers")
    return may_leave(records, ConsentScope.INTERNAL, on_date)
