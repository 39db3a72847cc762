"""The intake use case: an interview's records and files in one unit of work, all or nothing."""

from __future__ import annotations

import io
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import pytest
import sqlalchemy as sa

from kirok.domain.records import Act, Confidentiality, Event, Evidence, Involvement, Place
from kirok.domain.vocabulary import load_vocabularies
from kirok.security import policy
from kirok.security.errors import PermissionDenied
from kirok.services import catalogue, evidence, intake
from kirok.services.users import WebUser
from kirok.store.repository import ListQuery, RecordStore
from kirok.store.schema import audit_log
from store_support import new_store

TORTURE = next(t.id for t in load_vocabularies()["types_of_acts"] if t.label("en") == "Torture")
ARREST = next(t.id for t in load_vocabularies()["types_of_acts"] if t.label("en") == "Arrest")
HOERYONG = "KP-NHA-HOERYONG"
STATEMENT = "회령 보위부 구류장 진술서 — signed statement".encode()


@dataclass
class World:
    store: RecordStore
    vault: evidence.Vault
    places: dict[str, Place]


def _user(role: str) -> WebUser:
    ceiling = policy.ROLE_CLEARANCE[policy.Role(role)]
    return WebUser(id=f"id-{role}", username=role, role=role, clearance=int(ceiling))


DOCUMENTER = _user("documenter")


@pytest.fixture
def world(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    settings, store = new_store(db_url, tmp_path, monkeypatch, gazetteer=False)
    try:
        catalogue.load_gazetteer(store, "test")
        with store.read() as uow:
            hoeryong = uow.get(HOERYONG, "place")
        assert isinstance(hoeryong, Place)
        yield World(store, evidence.Vault(tmp_path / "evidence"), {HOERYONG: hoeryong})
    finally:
        store.close()


def _interview(level: Confidentiality = Confidentiality.CONFIDENTIAL) -> intake.Interview:
    return intake.Interview(
        source_name="김증언",
        event_title="회령 보위부 구류장 고문",
        victims=[
            intake.Victim("박철", TORTURE, birth_date="1975"),
            intake.Victim("Ri Yong-su", ARREST, where=intake.Where(HOERYONG)),
        ],
        level=level,
        testimony="두 사람이 고문당하는 것을 보았다.",
        consent_scopes=("internal",),
        start_date="2017-03",
        event_where=intake.Where(HOERYONG, km=5),
        perpetrators=[intake.Perpetrator(name="회령시 보위부", victims=(0,))],
        evidence_description="Signed statement",
    )


def _state(world: World) -> tuple[dict[str, int], list[tuple[Any, ...]], list[Path]]:
    """Everything a save could change: record counts, the audit log, the evidence folder."""
    with world.store.read() as uow:
        counts = uow.counts_by_kind()
    with world.store.engine.connect() as connection:
        audit = [tuple(r) for r in connection.execute(sa.select(audit_log).order_by("seq"))]
    root = world.vault.root
    files = sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []
    return counts, audit, files


@pytest.mark.parametrize("level", [Confidentiality.CONFIDENTIAL, Confidentiality.SECRET])
def test_records_and_files_are_stored_together_at_the_interviews_level(
    world: World, level: Confidentiality
) -> None:
    uploads = [
        intake.Upload("../../statement.pdf", STATEMENT, "application/pdf"),
        intake.Upload("photo.jpg", io.BytesIO(b"\xff\xd8 photo"), "image/jpeg"),
    ]
    stored = intake.record(
        world.store, DOCUMENTER, _interview(level), world.places, uploads, world.vault
    )
    assert len(stored.evidence_ids) == 2
    with world.store.read() as uow:
        event = uow.get(stored.event_id, "event")
        files = uow.list(ListQuery(kind="evidence", refers_to=stored.event_id))
        acts = uow.list(ListQuery(kind="act", refers_to=stored.event_id))
        involvements = [
            i for a in acts for i in uow.list(ListQuery(kind="involvement", refers_to=a.id))
        ]
        records = [uow.get(record_id) for record_id in stored.record_ids]
        trails = [uow.audit_trail(e.id) for e in files]
    assert isinstance(event, Event) and event.place_id not in (None, HOERYONG)  # within 5 km
    by_type = {a.act_type: a for a in acts if isinstance(a, Act)}
    assert by_type[ARREST].place_id == HOERYONG and by_type[TORTURE].place_id == event.place_id
    (involvement,) = involvements  # the perpetrator took part in the first victim's act only
    assert isinstance(involvement, Involvement) and involvement.act_id == by_type[TORTURE].id
    assert sorted(f.filename for f in files if isinstance(f, Evidence)) == [
        "photo.jpg",
        "statement.pdf",  # no folder from the browser
    ]
    assert {r.confidentiality for r in [*records, *files]} == {level}
    assert all([e["action"] for e in trail] == ["create", "evidence_ingest"] for trail in trails)
    assert evidence.verify_all(world.store, world.vault, "admin") == (2, [])
    statement = next(f for f in files if isinstance(f, Evidence) and f.size == len(STATEMENT))
    assert evidence.view(world.store, world.vault, statement.id, "documenter") == STATEMENT


class _Unreadable(io.RawIOBase):
    def read(self, size: int = -1) -> bytes:
        raise OSError("the upload was cut off")


@pytest.mark.parametrize("failure", ["duplicate_stored", "twice", "too_large", "unreadable"])
def test_a_failing_file_after_valid_records_and_files_stores_nothing(
    world: World, failure: str
) -> None:
    earlier = intake.record(
        world.store,
        DOCUMENTER,
        _interview(),
        world.places,
        [intake.Upload("earlier.txt", b"stored before")],
        world.vault,
    )
    assert len(earlier.evidence_ids) == 1
    before = _state(world)
    bad: intake.Upload = {
        "duplicate_stored": intake.Upload("again.txt", b"stored before"),
        "twice": intake.Upload("copy.pdf", STATEMENT),
        "too_large": intake.Upload("huge.bin", b"x" * (len(STATEMENT) + 64)),
        "unreadable": intake.Upload("cut.bin", typing.cast(BinaryIO, _Unreadable())),
    }[failure]
    uploads = [intake.Upload("statement.pdf", STATEMENT), bad]
    with pytest.raises(intake.FileRefused) as refused:
        intake.record(
            world.store,
            DOCUMENTER,
            _interview(),
            world.places,
            uploads,
            world.vault,
            max_evidence_bytes=2 * len(STATEMENT) + 32,  # the second file alone fits
        )
    assert refused.value.filename == bad.filename
    expected = {
        "duplicate_stored": evidence.DuplicateEvidence,
        "twice": evidence.DuplicateEvidence,
        "too_large": evidence.EvidenceTooLarge,
        "unreadable": evidence.UnreadableEvidence,
    }[failure]
    assert isinstance(refused.value.cause, expected)
    assert _state(world) == before  # database, audit log and evidence folder unchanged
    # The good file was not left behind: the same interview saves once the bad file is gone.
    again = intake.record(
        world.store,
        DOCUMENTER,
        _interview(),
        world.places,
        [intake.Upload("statement.pdf", STATEMENT)],
        world.vault,
    )
    assert len(again.evidence_ids) == 1


def test_a_role_that_may_not_record_the_level_writes_nothing(world: World) -> None:
    before = _state(world)
    analyst = _user("analyst")
    with pytest.raises(PermissionDenied):
        intake.record(
            world.store,
            analyst,
            _interview(),
            world.places,
            [intake.Upload("statement.pdf", STATEMENT)],
            world.vault,
        )
    assert _state(world) == before
    with pytest.raises(evidence.EvidenceError, match="no evidence folder"):
        intake.record(
            world.store,
            DOCUMENTER,
            _interview(),
            world.places,
            [intake.Upload("statement.pdf", STATEMENT)],
            None,
        )
    assert _state(world) == before
