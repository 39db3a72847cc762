"""The policy against expectations written independently of its tables."""

import itertools
from datetime import date

import pytest

from kirok.security.errors import PermissionDenied
from kirok.security.keys import MasterKey
from kirok.security.policy import (
    PERMISSIONS,
    SENSITIVE_FIELDS,
    Action,
    Confidentiality,
    Consent,
    ConsentScope,
    EntityKind,
    Role,
    User,
    Visibility,
    can,
    effective_clearance,
    field_visibility,
    may_leave,
    parse_grid,
    redact,
)

SECRET = Confidentiality.SECRET


def user(role: str, clearance: Confidentiality = SECRET) -> User:
    return User(id=f"u-{role}", username=role, role=Role(role), clearance=clearance)


# (role, entity kind, action, allowed?) chosen case by case from the design and the issue,
# at the lowest confidentiality so that only the role table decides.
CASES = [
    # viewers read ordinary records and nothing else
    ("viewer", "event", "read", True),
    ("viewer", "person", "read", True),
    ("viewer", "designation", "read", True),
    ("viewer", "person", "create", False),
    ("viewer", "event", "update", False),
    ("viewer", "person", "export", False),
    ("viewer", "evidence", "read", False),
    ("viewer", "consent", "read", False),
    ("viewer", "refugee_case", "read", False),
    ("viewer", "biographic_link", "read", False),
    ("viewer", "event_link", "read", True),
    ("analyst", "statistic", "create", True),
    ("documenter", "statistic", "create", False),
    ("viewer", "audit", "read", False),
    ("viewer", "user", "read", False),
    # documenters record testimony but do not delete, export or administer
    ("documenter", "person", "create", True),
    ("documenter", "information", "update", True),
    ("documenter", "consent", "create", True),
    ("documenter", "evidence", "create", True),
    ("documenter", "evidence", "update", False),
    ("documenter", "person", "delete", False),
    ("documenter", "person", "export", False),
    ("documenter", "designation", "create", False),
    ("documenter", "user", "manage_users", False),
    ("documenter", "audit", "read", False),
    # analysts read, export and keep reference data; they do not write testimony or review
    ("analyst", "person", "read", True),
    ("analyst", "person", "export", True),
    ("analyst", "person", "update", False),
    ("analyst", "information", "create", False),
    ("analyst", "place", "update", True),
    ("analyst", "resolution", "create", True),
    ("analyst", "sanction_entry", "delete", True),
    ("analyst", "person", "review", False),
    ("analyst", "evidence", "read", True),
    ("analyst", "key", "manage_keys", False),
    # reviewers review and oversee
    ("reviewer", "person", "review", True),
    ("reviewer", "act", "review", True),
    ("reviewer", "person", "update", False),
    ("reviewer", "audit", "read", True),
    ("reviewer", "audit", "export", False),
    ("reviewer", "person", "export", False),
    # admins administer; some things nobody does
    ("admin", "person", "delete", True),
    ("admin", "user", "manage_users", True),
    ("admin", "key", "manage_keys", True),
    ("admin", "audit", "export", True),
    ("admin", "user", "delete", False),
    ("admin", "evidence", "update", False),
    ("admin", "evidence", "delete", False),
    ("admin", "consent", "delete", False),
    ("admin", "audit", "update", False),
    ("admin", "audit", "delete", False),
    ("admin", "audit", "create", False),
    ("admin", "person", "manage_keys", False),
]


@pytest.mark.parametrize("role, kind, action, allowed", CASES)
def test_role_entity_action_cases(role: str, kind: str, action: str, allowed: bool) -> None:
    decision = can(user(role), action, kind, Confidentiality.PUBLIC)
    assert decision.allowed is allowed, decision.reason
    assert bool(decision) is allowed
    assert decision.reason


def _expected(role: Role, kind: EntityKind, action: Action) -> bool:
    """The whole matrix restated as rules, independently of the grid in the module."""
    case = {
        "event",
        "person",
        "act",
        "involvement",
        "information",
        "intervention",
        "place",
        "refugee_case",
        "event_link",
        "biographic_link",
    }
    reference = {"designation", "resolution", "sanction_entry", "statistic"}
    if kind == "key":
        return role == "admin" and action == "manage_keys"
    if kind == "user":
        return role == "admin" and action in {"read", "create", "update", "manage_users"}
    if action in {"manage_keys", "manage_users"}:
        return False
    if kind == "audit":
        return (role, action) in {("admin", "read"), ("admin", "export"), ("reviewer", "read")}
    if kind == "link_decision":  # reviewers decide linkage pairs; analysts read the decisions
        allowed = {
            "admin": {"read", "create", "update", "delete", "review"},
            "reviewer": {"read", "create", "update", "review"},
            "documenter": {"read"},
            "analyst": {"read"},
        }
        return action in allowed.get(role, set())
    if kind == "estimation_run":  # analysts estimate; everyone but documenters reads results
        if role == "viewer" or role == "reviewer":
            return action == "read"
        allowed = {
            "admin": {"read", "create", "update", "delete", "export"},
            "analyst": {"read", "create", "export"},
        }
        return action in allowed.get(role, set())
    if kind == "linkage_run":  # analysts run linkage; reviewers read its queue
        allowed = {
            "admin": {"read", "create", "update", "delete", "export"},
            "analyst": {"read", "create", "export"},
            "reviewer": {"read"},
        }
        return action in allowed.get(role, set())
    viewer_hidden = {"evidence", "consent", "refugee_case", "biographic_link"}
    if role == "viewer":
        return action == "read" and kind not in viewer_hidden
    if action == "read":
        return True
    immutable = {"evidence": {"update", "delete"}, "consent": {"delete"}}
    if action in immutable.get(kind, set()):
        return False
    if role == "admin":
        return action != "review" or kind in case | {"evidence"}
    if role == "documenter":
        return action in {"create", "update"} and (
            kind in case | {"consent"} or (kind == "evidence" and action == "create")
        )
    if role == "reviewer":
        return action == "review" and kind in case | {"evidence"}
    if role == "analyst":
        if kind in reference:
            return action in {"create", "update", "delete", "export"}
        if kind in {"place", "intervention"}:
            return action in {"create", "update", "export"}
        if kind == "vocabulary":
            return action in {"create", "update"}
        return action == "export" and kind in case
    raise AssertionError(role)


def test_every_cell_is_defined_and_matches_the_rules() -> None:
    assert set(PERMISSIONS) == set(Role)
    mismatches = []
    for role, kind, action in itertools.product(Role, EntityKind, Action):
        assert kind in PERMISSIONS[role], (role, kind)
        decision = can(user(role), action, kind, Confidentiality.PUBLIC)
        assert decision.reason
        if decision.allowed != _expected(role, kind, action):
            mismatches.append((role.value, kind.value, action.value, decision.allowed))
    assert mismatches == []


def test_grid_parser_rejects_incomplete_or_bad_grids() -> None:
    header = "kind admin documenter reviewer analyst viewer\n"
    rows = "".join(f"{k} R R R R R\n" for k in EntityKind)
    assert parse_grid(header + rows)[Role.VIEWER][EntityKind.AUDIT] == {Action.READ}
    with pytest.raises(ValueError, match="missing"):
        parse_grid(header + rows.replace("audit R R R R R\n", ""))
    with pytest.raises(ValueError, match="twice"):
        parse_grid(header + rows + "event R R R R R\n")
    with pytest.raises(ValueError, match="bad grid cell"):
        parse_grid(header + rows.replace("event R R", "event RZ R"))
    with pytest.raises(ValueError, match="cells"):
        parse_grid(header + rows.replace("event R R R R R", "event R R R R"))
    with pytest.raises(ValueError, match="every role"):
        parse_grid(header.replace(" viewer", "") + rows)


def test_confidentiality_is_checked_against_clearance() -> None:
    analyst = user("analyst")
    assert can(analyst, "read", "person", Confidentiality.CONFIDENTIAL)
    refused = can(analyst, "read", "person", SECRET)
    assert not refused and "secret" in refused.reason and "confidential" in refused.reason
    assert can(user("documenter"), "read", "information", SECRET)
    viewer = user("viewer", Confidentiality.INTERNAL)
    assert can(viewer, "read", "event", "internal")
    assert not can(viewer, "read", "event", "confidential")
    # nobody creates a record above their clearance (they could not read it back)
    assert not can(user("documenter", Confidentiality.CONFIDENTIAL), "create", "person", SECRET)


def test_user_clearance_cannot_exceed_role_ceiling() -> None:
    assert effective_clearance(user("viewer", SECRET)) == Confidentiality.INTERNAL
    assert not can(user("viewer", SECRET), "read", "event", SECRET)
    assert effective_clearance(user("admin", Confidentiality.INTERNAL)) == Confidentiality.INTERNAL
    assert not can(user("admin", Confidentiality.INTERNAL), "read", "event", "confidential")


@pytest.mark.parametrize("level", [None, "unknown", 7, True])
def test_missing_or_unknown_confidentiality_is_treated_as_secret(level: object) -> None:
    assert Confidentiality.parse(level) == SECRET
    assert not can(user("analyst"), "read", "person", level)  # type: ignore[arg-type]


def test_decision_require_raises() -> None:
    can(user("admin"), "read", "person", SECRET).require()
    with pytest.raises(PermissionDenied, match="may not delete"):
        can(user("viewer"), "delete", "person", Confidentiality.PUBLIC).require()


def test_unknown_names_are_programming_errors() -> None:
    with pytest.raises(ValueError):
        can(user("admin"), "read", "spaceship", SECRET)
    with pytest.raises(ValueError):
        can(user("admin"), "teleport", "person", SECRET)


# -- sensitive fields and redaction -------------------------------------------------------------


def test_sensitive_fields_cover_the_issue_list() -> None:
    assert {"name_forms", "aliases", "contact", "address"} <= SENSITIVE_FIELDS["person"]
    assert {"source_name", "source_contact", "testimony"} <= SENSITIVE_FIELDS["information"]
    assert "file" in SENSITIVE_FIELDS["evidence"]
    assert {"password_hash", "totp_secret"} <= SENSITIVE_FIELDS["user"]
    assert "steps" in SENSITIVE_FIELDS["refugee_case"]
    assert "description" in SENSITIVE_FIELDS["event"]
    assert "filename" in SENSITIVE_FIELDS["evidence"]
    assert set(SENSITIVE_FIELDS) == set(EntityKind)
    assert SENSITIVE_FIELDS["designation"] == frozenset()


KEY = MasterKey.generate()
PERSON = {
    "id": "p-17",
    "confidentiality": "confidential",
    "name_forms": [{"text": "김철수", "script": "hangul"}, {"text": "Kim Chol-su"}],
    "aliases": ["철이"],
    "contact": "+82 10 0000 0000",
    "address": "서울 노원구 ...",
    "notes": "met in Yanji",
    "sex": "m",
    "birth_year": 1970,
}
SOURCE = {
    "id": "i-3",
    "confidentiality": "internal",
    "source_name": "이영희",
    "source_contact": "lee@example.org",
    "testimony": "요덕에서 1997년에 ...",
    "reliability": "high",
}
IDENTITIES = ["김철수", "Kim Chol-su", "철이", "이영희", "lee@example.org", "+82 10 0000 0000"]


def _leaks(record: dict[str, object], secrets: list[str]) -> list[str]:
    text = repr(record)
    return [s for s in secrets if s in text]


def test_viewer_never_sees_a_witness_or_source_identity() -> None:
    viewer = user("viewer", Confidentiality.INTERNAL)
    out = redact("information", SOURCE, viewer, pseudonyms=KEY)
    assert _leaks(out, IDENTITIES) == []
    assert out["source_name"] is None and out["testimony"] is None
    assert out["_redacted"] == ["source_contact", "source_name", "testimony"]
    assert out["reliability"] == "high"
    with pytest.raises(PermissionDenied):  # a confidential person is beyond a viewer
        redact("person", PERSON, viewer, pseudonyms=KEY)
    out = redact("person", {**PERSON, "confidentiality": "internal"}, viewer, pseudonyms=KEY)
    assert _leaks(out, IDENTITIES) == [] and "_pseudonymized" not in out


def test_analyst_sees_stable_pseudonyms_instead_of_names() -> None:
    analyst = user("analyst")
    first = redact("person", PERSON, analyst, pseudonyms=KEY)
    again = redact("person", dict(PERSON), analyst, pseudonyms=KEY)
    assert _leaks(first, IDENTITIES) == []
    assert first["name_forms"] == KEY.pseudonym("person", "p-17") == again["name_forms"]
    assert str(first["name_forms"]).startswith("P-")
    assert first["_pseudonymized"] == ["aliases", "name_forms"]
    assert first["contact"] is None and first["address"] is None
    assert first["notes"] == "met in Yanji" and first["sex"] == "m"
    other = redact("person", {**PERSON, "id": "p-18"}, analyst, pseudonyms=KEY)
    assert other["name_forms"] != first["name_forms"]
    source = redact("information", SOURCE, analyst, pseudonyms=KEY)
    assert str(source["source_name"]).startswith("S-") and source["testimony"] is None


def test_documenter_and_reviewer_see_what_their_work_needs() -> None:
    out = redact("person", PERSON, user("documenter"), pseudonyms=KEY)
    assert out == PERSON  # nothing redacted, no markers added
    rev = redact("person", PERSON, user("reviewer"), pseudonyms=KEY)
    assert rev["name_forms"] == PERSON["name_forms"]  # linkage review compares names
    assert rev["contact"] is None and rev["_redacted"] == ["address", "contact"]


def test_credentials_are_hidden_from_everyone() -> None:
    row = {
        "id": "u1",
        "confidentiality": "internal",
        "username": "kim",
        "password_hash": "$argon2id$...",
        "totp_secret": "JBSW",
        "email": "k@example.org",
    }
    out = redact("user", row, user("admin"), pseudonyms=KEY)
    assert out["password_hash"] is None and out["totp_secret"] is None
    assert out["email"] == "k@example.org"


def test_redact_does_not_change_the_input() -> None:
    record = dict(PERSON)
    redact("person", record, user("analyst"), pseudonyms=KEY)
    assert record == PERSON


# -- consent ------------------------------------------------------------------------------------

ALL = frozenset(ConsentScope)


def test_no_consent_no_output() -> None:
    decision = may_leave([], ConsentScope.INTERNAL, date(2026, 1, 1))
    assert not decision and "no consent" in decision.reason
    only_internal = [Consent(frozenset({ConsentScope.INTERNAL}), date(2020, 1, 1))]
    assert may_leave(only_internal, "internal", date(2026, 1, 1))
    assert not may_leave(only_internal, "share_un", date(2026, 1, 1))


def test_consent_applies_from_given_date_until_revoked() -> None:
    c = [Consent(ALL, given=date(2020, 5, 1), revoked=date(2024, 3, 1))]
    assert not may_leave(c, "courts", date(2020, 4, 30))
    assert "not yet given" in may_leave(c, "courts", date(2020, 4, 30)).reason
    assert may_leave(c, "courts", date(2020, 5, 1))
    assert may_leave(c, "publication", date(2024, 2, 29))
    refused = may_leave(c, "publication", date(2024, 3, 1))
    assert not refused and "revoked on 2024-03-01" in refused.reason


def test_new_consent_after_revocation_counts_only_for_its_scopes() -> None:
    c = [
        Consent(ALL, given=date(2020, 1, 1), revoked=date(2022, 1, 1)),
        Consent(frozenset({ConsentScope.INTERNAL}), given=date(2023, 1, 1)),
    ]
    assert may_leave(c, "internal", date(2023, 6, 1))
    assert not may_leave(c, "publication", date(2023, 6, 1))
    assert not may_leave(c, "internal", date(2022, 6, 1))


def test_family_at_risk_blocks_publication_of_identity_regardless() -> None:
    c = [
        Consent(ALL, given=date(2020, 1, 1), family_at_risk=True),
        Consent(ALL, given=date(2021, 1, 1)),
    ]
    refused = may_leave(c, "publication", date(2025, 1, 1))
    assert not refused and "family at risk" in refused.reason
    assert may_leave(c, "publication", date(2025, 1, 1), identifying=False)
    assert may_leave(c, "courts", date(2025, 1, 1))
    assert may_leave(c, "share_un", date(2025, 1, 1))


def test_consent_cannot_be_revoked_before_given() -> None:
    with pytest.raises(ValueError):
        Consent(ALL, given=date(2020, 1, 1), revoked=date(2019, 1, 1))


def test_policy_covers_every_domain_record_kind_and_field() -> None:
    from kirok.domain.records import RECORD_TYPES

    for kind, model in RECORD_TYPES.items():
        assert kind in set(EntityKind), f"the policy does not know record kind {kind}"
        declared = SENSITIVE_FIELDS[kind] - {"file"}  # evidence content is not a row field
        assert declared <= set(model.model_fields), (kind, declared - set(model.model_fields))


def test_identity_without_a_record_id_is_hidden_not_pseudonymised() -> None:
    record = {k: v for k, v in PERSON.items() if k != "id"}
    out = redact("person", record, user("analyst"), pseudonyms=KEY)
    assert out["name_forms"] is None and "name_forms" in out["_redacted"]
    assert "_pseudonymized" not in out


def test_no_role_sees_a_field_value_its_visibility_withholds() -> None:
    checked = 0
    for kind, role in itertools.product(EntityKind, Role):
        fields = SENSITIVE_FIELDS[kind]
        if not fields or not can(user(role), "read", kind, Confidentiality.PUBLIC):
            continue
        record = {"id": "r1", "confidentiality": "public", "other": "kept"}
        record |= {f: f"VALUE-OF-{f}" for f in fields}
        out = redact(kind, record, user(role), pseudonyms=KEY)
        assert out["other"] == "kept"
        for f in fields:
            seen = field_visibility(kind, f, user(role))
            if seen is Visibility.PLAIN:
                assert out[f] == f"VALUE-OF-{f}"
            else:
                assert f"VALUE-OF-{f}" not in repr(out), (kind, role, f)
                checked += 1
    assert checked > 20
