import dataclasses
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kirok.security.audit import (
    GENESIS_HASH,
    AuditEntry,
    ChainedEntry,
    append,
    canonical,
    chain,
    check_details,
    entry_hash,
    utc_timestamp,
    verify,
)
from kirok.security.policy import SENSITIVE_FIELDS

T0 = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)


def _entries(n: int = 6) -> list[AuditEntry]:
    actions = ["login", "create", "update", "export", "evidence_view", "key_rotate"]
    return [
        AuditEntry(
            seq=i,
            at=utc_timestamp(T0 + timedelta(minutes=i)),
            actor="u-documenter",
            action=actions[(i - 1) % len(actions)],
            entity="person",
            record_id=f"p{i}",
            details={"changed": ["names", "sex"], "n": i, "note": "요덕"},
        )
        for i in range(1, n + 1)
    ]


def _renumber(stored: ChainedEntry, seq: int) -> ChainedEntry:
    return dataclasses.replace(stored, entry=dataclasses.replace(stored.entry, seq=seq))


def test_canonical_form_is_sorted_compact_utf8() -> None:
    entry = AuditEntry(
        1, "2026-11-28T08:00:00.000000Z", "u1", "create", "person", "p1", {"b": 1, "a": "수용소"}
    )
    text = canonical(entry).decode("utf-8")
    assert text == (
        '{"action":"create","actor":"u1","at":"2026-11-28T08:00:00.000000Z",'
        '"details":{"a":"수용소","b":1},"entity":"person","record_id":"p1","seq":1}'
    )
    reordered = AuditEntry(1, entry.at, "u1", "create", "person", "p1", {"a": "수용소", "b": 1})
    assert canonical(reordered) == canonical(entry)


def test_hash_covers_previous_hash_and_content() -> None:
    chained = chain(_entries(3))
    assert chained[0].prev_hash == GENESIS_HASH
    for prev, cur in zip(chained, chained[1:], strict=False):
        assert cur.prev_hash == prev.hash
        assert cur.hash == entry_hash(prev.hash, cur.entry)
    assert len({c.hash for c in chained}) == 3


def test_intact_chain_verifies() -> None:
    chained = chain(_entries())
    result = verify(chained)
    assert result.ok and result.checked == 6 and result.head_hash == chained[-1].hash
    assert "intact" in str(result)
    assert verify([]).ok


def test_append_refuses_a_gap() -> None:
    first = append(None, _entries(1)[0])
    with pytest.raises(ValueError, match="must have seq 2"):
        append(first, _entries(3)[2])


def test_edited_entry_is_named() -> None:
    chained = chain(_entries())
    edited = dataclasses.replace(chained[3].entry, actor="someone-else")
    chained[3] = dataclasses.replace(chained[3], entry=edited)
    result = verify(chained)
    assert not result.ok and result.first_broken_seq == 4
    assert "content does not match" in result.reason
    assert "broken at entry 4" in str(result)


def test_edited_details_is_named() -> None:
    chained = chain(_entries())
    edited = dataclasses.replace(chained[1].entry, details={"changed": ["sex"]})
    chained[1] = dataclasses.replace(chained[1], entry=edited)
    assert verify(chained).first_broken_seq == 2


def test_deleted_entry_is_named() -> None:
    chained = chain(_entries())
    del chained[2]
    result = verify(chained)
    assert not result.ok and result.first_broken_seq == 3 and "missing" in result.reason


def test_deleted_entry_with_renumbering_is_caught() -> None:
    chained = chain(_entries())
    del chained[2]
    renumbered = chained[:2] + [_renumber(c, c.seq - 1) for c in chained[2:]]
    result = verify(renumbered)
    assert not result.ok and result.first_broken_seq == 3


def test_deleted_last_entry_is_caught_by_an_anchor() -> None:
    chained = chain(_entries())
    anchors = {6: chained[-1].hash}
    assert verify(chained, anchors).ok
    result = verify(chained[:-1], anchors)
    assert not result.ok and result.first_broken_seq == 6 and "truncated" in result.reason


def test_inserted_entry_is_named() -> None:
    chained = chain(_entries())
    forged = AuditEntry(3, chained[2].entry.at, "intruder", "delete", "person", "p9")
    # a careful forger links it correctly to entry 2 and gives it a valid hash
    inserted = append(chained[1], forged)
    tampered = chained[:2] + [inserted] + chained[2:]
    result = verify(tampered)
    assert not result.ok and result.first_broken_seq == 3 and "appears again" in result.reason


def test_inserted_entry_with_renumbering_is_named() -> None:
    chained = chain(_entries())
    forged = append(chained[1], AuditEntry(3, chained[2].entry.at, "intruder", "delete"))
    tampered = chained[:2] + [forged] + [_renumber(c, c.seq + 1) for c in chained[2:]]
    result = verify(tampered)
    assert not result.ok and result.first_broken_seq == 4
    assert "link to the previous entry" in result.reason


def test_reordered_entries_are_named() -> None:
    chained = chain(_entries())
    swapped = chained[:2] + [chained[3], chained[2]] + chained[4:]
    result = verify(swapped)
    assert not result.ok and result.first_broken_seq == 3
    # swapping the sequence numbers too: the content no longer matches the hash
    swapped_seq = chained[:2] + [_renumber(chained[3], 3), _renumber(chained[2], 4)] + chained[4:]
    result = verify(swapped_seq)
    assert not result.ok and result.first_broken_seq == 3


def test_rebuilt_chain_is_caught_by_an_anchor() -> None:
    original = chain(_entries())
    anchors = {4: original[3].hash}
    entries = _entries()
    entries[1] = dataclasses.replace(entries[1], actor="someone-else")
    rebuilt = chain(entries)  # every hash recomputed: internally consistent
    assert verify(rebuilt).ok
    result = verify(rebuilt, anchors)
    assert not result.ok and result.first_broken_seq == 4 and "anchor" in result.reason


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"details": {"score": 0.5}}, TypeError),
        ({"details": {"x": {"nested": [1.0]}}}, TypeError),
        ({"details": {1: "a"}}, TypeError),
        ({"details": {"when": datetime(2026, 1, 1)}}, TypeError),
        ({"action": "frobnicate"}, ValueError),
        ({"at": "2026-11-28 08:00:00"}, ValueError),
        ({"at": "2026-11-28T08:00:00+09:00"}, ValueError),
        ({"seq": 0}, ValueError),
    ],
)
def test_entries_are_validated(kwargs: dict[str, object], error: type[Exception]) -> None:
    base: dict[str, object] = {
        "seq": 1,
        "at": "2026-11-28T08:00:00Z",
        "actor": "u1",
        "action": "create",
    }
    base.update(kwargs)
    with pytest.raises(error):
        AuditEntry(**base)  # type: ignore[arg-type]


def test_utc_timestamp_converts_and_refuses_naive_times() -> None:
    seoul = timezone(timedelta(hours=9))
    assert utc_timestamp(datetime(2026, 11, 28, 17, 0, tzinfo=seoul)) == (
        "2026-11-28T08:00:00.000000Z"
    )
    with pytest.raises(ValueError):
        utc_timestamp(datetime(2026, 11, 28))


def test_details_may_name_but_not_carry_sensitive_fields() -> None:
    check_details("person", {"changed": ["name_forms", "aliases"]}, SENSITIVE_FIELDS)
    check_details(None, {"name_forms": "x"}, SENSITIVE_FIELDS)
    with pytest.raises(ValueError, match="name_forms"):
        check_details("person", {"name_forms": ["김철수"]}, SENSITIVE_FIELDS)
    with pytest.raises(ValueError, match="testimony"):
        check_details("information", {"testimony": "..."}, SENSITIVE_FIELDS)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(min_value=2, max_value=25),
    where=st.floats(min_value=0, max_value=1, exclude_max=True),
    how=st.sampled_from(["edit", "delete", "swap", "insert"]),
)
def test_any_single_tampering_is_named_at_its_entry(n: int, where: float, how: str) -> None:
    chained = chain(_entries(n))
    i = int(where * (n - 1))  # an index with a successor, so every kind of tampering applies
    if how == "edit":
        edited = dataclasses.replace(chained[i].entry, record_id="changed")
        chained[i] = dataclasses.replace(chained[i], entry=edited)
    elif how == "delete":
        del chained[i]
    elif how == "swap":
        chained[i], chained[i + 1] = chained[i + 1], chained[i]
    else:
        previous = chained[i - 1] if i > 0 else None
        forged = AuditEntry(i + 1, chained[i].entry.at, "intruder", "delete", "person", "x")
        chained.insert(i, append(previous, forged))
    result = verify(chained)
    assert not result.ok
    assert result.first_broken_seq == i + 1, (how, i, result)
