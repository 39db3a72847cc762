import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kirok.security.envelope import (
    field_aad,
    new_data_key,
    open_bytes,
    open_sealed,
    rewrap,
    seal,
    seal_bytes,
)
from kirok.security.errors import DecryptionError, MissingKey
from kirok.security.keys import MasterKey, wrapped_key_id

SECRETS = ["김철수", "Kim Chol-su", "요덕 정치범수용소에서 1997년 ...", ""]


@pytest.mark.parametrize("text", SECRETS)
def test_seal_open_round_trip_without_plaintext_in_blob(text: str) -> None:
    master = MasterKey.generate()
    dek, wrapped = new_data_key(master)
    aad = field_aad("person", "p1", "names")
    blob = seal(dek, text, aad)
    assert blob[0] == 1
    if text:
        assert text.encode("utf-8") not in blob
    assert open_sealed(master.unwrap(wrapped), blob, aad) == text


def test_same_value_seals_differently() -> None:
    dek, _ = new_data_key(MasterKey.generate())
    aad = field_aad("person", "p1", "names")
    assert seal(dek, "김철수", aad) != seal(dek, "김철수", aad)


def test_blob_cannot_move_to_another_record_or_field() -> None:
    dek, _ = new_data_key(MasterKey.generate())
    blob = seal(dek, "김철수", field_aad("person", "p1", "names"))
    for aad in (
        field_aad("person", "p2", "names"),
        field_aad("person", "p1", "aliases"),
        field_aad("information", "p1", "names"),
    ):
        with pytest.raises(DecryptionError, match="failed authentication"):
            open_sealed(dek, blob, aad)


def test_wrong_key_altered_or_truncated_blob_is_refused() -> None:
    master = MasterKey.generate()
    dek, _ = new_data_key(master)
    other, _ = new_data_key(master)
    aad = field_aad("evidence", "e1", "file")
    blob = seal_bytes(dek, b"\x89PNG...", aad)
    assert open_bytes(dek, blob, aad) == b"\x89PNG..."
    with pytest.raises(DecryptionError):
        open_bytes(other, blob, aad)
    flipped = bytearray(blob)
    flipped[20] ^= 0x01
    with pytest.raises(DecryptionError):
        open_bytes(dek, bytes(flipped), aad)
    with pytest.raises(DecryptionError, match="too short"):
        open_bytes(dek, blob[:10], aad)
    with pytest.raises(DecryptionError, match="version"):
        open_bytes(dek, b"\x02" + blob[1:], aad)


def test_field_aad_rejects_ambiguous_components() -> None:
    with pytest.raises(ValueError):
        field_aad("person", "a/b", "names")
    with pytest.raises(ValueError):
        field_aad("person", "", "names")


def test_rewrap_moves_data_key_to_new_master_without_touching_data() -> None:
    old, new = MasterKey.generate(), MasterKey.generate()
    dek, wrapped = new_data_key(old)
    aad = field_aad("person", "p1", "names")
    blob = seal(dek, "김철수", aad)
    rewrapped = rewrap(wrapped, old, new)
    assert wrapped_key_id(rewrapped) == new.key_id
    assert open_sealed(new.unwrap(rewrapped), blob, aad) == "김철수"
    with pytest.raises(MissingKey):
        old.unwrap(rewrapped)


@settings(max_examples=50, deadline=None)
@given(text=st.text(max_size=300), record_id=st.text(alphabet="0123456789abcdef", min_size=1))
def test_any_text_round_trips(text: str, record_id: str) -> None:
    dek, _ = new_data_key(_MASTER)
    aad = field_aad("information", record_id, "testimony")
    assert open_sealed(dek, seal(dek, text, aad), aad) == text


_MASTER = MasterKey.generate()
