"""`internal_use`: consent for staff reads, and how `redact` applies it."""

from datetime import date

import pytest

from kirok.security.keys import MasterKey
from kirok.security.policy import (
    FIELD_CLASSES,
    Confidentiality,
    Consent,
    ConsentScope,
    EntityKind,
    Role,
    User,
    consent_keeper,
    internal_use,
    redact,
)

DAY = date(2024, 6, 1)
INTERNAL = frozenset({ConsentScope.INTERNAL})
PERSON = {
    "id": "p1",
    "confidentiality": "internal",
    "name_forms": [{"text": "김영희"}],
    "aliases": ["Kim Young-hee"],
    "contact": "+82 10 0000 0000",
    "sex": "female",
}


def user(role: str) -> User:
    return User(id=role, username=role, role=Role(role), clearance=Confidentiality.SECRET)


def test_keepers_are_the_roles_that_may_update_consent() -> None:
    assert {r for r in Role if consent_keeper(user(r))} == {Role.ADMIN, Role.DOCUMENTER}


@pytest.mark.parametrize(
    ("consents", "allowed"),
    [
        ([], True),  # the organisation's own documentation
        ([Consent(INTERNAL, date(2020, 1, 1))], True),
        ([Consent(INTERNAL, date(2020, 1, 1), revoked=date(2024, 1, 1))], False),
        ([Consent(INTERNAL, date(2025, 1, 1))], False),  # not yet given on the day
        ([Consent(frozenset({ConsentScope.PUBLICATION}), date(2020, 1, 1))], False),
        ([Consent(INTERNAL, date(2020, 1, 1), family_at_risk=True)], False),
        # any one consent can block: a relative's family-at-risk flag
        (
            [
                Consent(INTERNAL, date(2020, 1, 1)),
                Consent(INTERNAL, date(2021, 1, 1), family_at_risk=True),
            ],
            False,
        ),
    ],
)
def test_internal_use_below_the_keepers(consents: list[Consent], allowed: bool) -> None:
    for role in ("reviewer", "analyst", "viewer"):
        assert bool(internal_use(user(role), "person", consents, DAY)) is allowed
    for role in ("admin", "documenter"):
        assert internal_use(user(role), "person", consents, DAY)


def test_consent_bears_only_on_persons_information_and_refugee_cases() -> None:
    revoked = [Consent(INTERNAL, date(2020, 1, 1), revoked=date(2021, 1, 1))]
    assert not internal_use(user("reviewer"), EntityKind.INFORMATION, revoked, DAY)
    assert not internal_use(user("reviewer"), EntityKind.REFUGEE_CASE, revoked, DAY)
    assert internal_use(user("reviewer"), EntityKind.EVENT, revoked, DAY)


def test_redact_withholds_every_sensitive_field_when_consent_refuses() -> None:
    key = MasterKey.generate()
    at_risk = [Consent(INTERNAL, date(2020, 1, 1), family_at_risk=True)]
    seen = redact("person", PERSON, user("reviewer"), pseudonyms=key, consents=at_risk, on_date=DAY)
    present = {f for f in FIELD_CLASSES[EntityKind.PERSON] if PERSON.get(f) is not None}
    assert set(seen["_redacted"]) == present and all(seen[f] is None for f in present)
    assert seen["sex"] == "female"  # the record itself still shows
    plain = redact("person", PERSON, user("reviewer"), pseudonyms=key, consents=[], on_date=DAY)
    assert plain["name_forms"] == PERSON["name_forms"]
    kept = redact(
        "person", PERSON, user("documenter"), pseudonyms=key, consents=at_risk, on_date=DAY
    )
    assert kept["name_forms"] == PERSON["name_forms"]
    with pytest.raises(ValueError, match="on_date"):
        redact("person", PERSON, user("reviewer"), pseudonyms=key, consents=at_risk)
