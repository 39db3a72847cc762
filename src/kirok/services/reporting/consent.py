"""Which information supports which act, and which consents bear on each information.

A public number counts an act only if at least one piece of information supporting it
(testimony about its event, or about its victim) may be published; this index answers that
question for every act in one pass over the information and consent records.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from kirok.domain.records import Act, Consent, Information
from kirok.security import policy
from kirok.security.policy import ConsentScope
from kirok.store.repository import UnitOfWork

__all__ = ["ConsentIndex", "consent_of"]


def consent_of(record: Consent) -> policy.Consent:
    """The policy's view of a stored consent record. Unknown scope names are dropped (they
    grant nothing); a consent without a date given is treated as never given."""
    scopes = frozenset(
        ConsentScope(s) for s in record.scopes if s in {c.value for c in ConsentScope}
    )
    given = record.given_on or date.max
    revoked = record.revoked_on
    if revoked is not None and revoked < given:
        revoked = given  # a revocation entered before the consent: it never held
    return policy.Consent(scopes, given, revoked, record.family_at_risk)


@dataclass
class ConsentIndex:
    """Information by the event, person and subject it is about; consents by information and
    by person."""

    by_event: dict[str, list[Information]] = field(default_factory=lambda: defaultdict(list))
    by_person: dict[str, list[Information]] = field(default_factory=lambda: defaultdict(list))
    #: Every information about a person, with or without an event.
    by_subject: dict[str, list[Information]] = field(default_factory=lambda: defaultdict(list))
    by_information: dict[str, list[policy.Consent]] = field(
        default_factory=lambda: defaultdict(list)
    )
    by_person_consent: dict[str, list[policy.Consent]] = field(
        default_factory=lambda: defaultdict(list)
    )

    @classmethod
    def read(cls, uow: UnitOfWork) -> ConsentIndex:
        index = cls()
        for record in uow.iter_kind("information"):
            if not isinstance(record, Information):
                continue
            if record.person_id:
                index.by_subject[record.person_id].append(record)
            if record.event_id:
                index.by_event[record.event_id].append(record)
            elif record.person_id:
                index.by_person[record.person_id].append(record)
        for record in uow.iter_kind("consent"):
            if not isinstance(record, Consent):
                continue
            consent = consent_of(record)
            if record.information_id:
                index.by_information[record.information_id].append(consent)
            elif record.person_id:
                index.by_person_consent[record.person_id].append(consent)
        return index

    def supporting(self, act: Act) -> list[Information]:
        return [*self.by_event.get(act.event_id, []), *self.by_person.get(act.victim_id, [])]

    def consents(self, info: Information) -> list[policy.Consent]:
        people = {p for p in (info.source_person_id, info.person_id) if p}
        found = list(self.by_information.get(info.id, []))
        for person in sorted(people):
            found.extend(self.by_person_consent.get(person, []))
        return found
