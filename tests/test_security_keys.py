import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kirok.security.errors import DecryptionError, KeyStoreError, MissingKey
from kirok.security.keys import (
    WRAPPED_BYTES,
    Keyring,
    MasterKey,
    normalise_for_index,
    wrapped_key_id,
)


def test_master_key_is_32_bytes_and_never_printed() -> None:
    key = MasterKey.generate()
    assert len(key.secret_bytes()) == 32
    assert key.secret_bytes().hex() not in repr(key)
    assert key.key_id in repr(key)
    with pytest.raises(KeyStoreError):
        MasterKey(b"short")


def test_key_id_and_fingerprint_are_stable_and_distinct() -> None:
    raw = bytes(range(32))
    a, b = MasterKey(raw), MasterKey(raw)
    assert a == b and a.key_id == b.key_id and len(a.key_id) == 16
    assert a.fingerprint.replace("-", "").lower() == a.key_id
    assert MasterKey.generate().key_id != a.key_id


def test_wrap_unwrap_round_trip_and_header_names_key() -> None:
    key = MasterKey.generate()
    dek = bytes(range(32))
    wrapped = key.wrap(dek)
    assert len(wrapped) == WRAPPED_BYTES
    assert dek not in wrapped
    assert wrapped_key_id(wrapped) == key.key_id
    assert key.unwrap(wrapped) == dek
    assert key.wrap(dek) != wrapped  # random nonce


def test_unwrap_with_other_key_is_missing_key_not_garbage() -> None:
    wrapped = MasterKey.generate().wrap(bytes(32))
    with pytest.raises(MissingKey, match="wrapped by master key"):
        MasterKey.generate().unwrap(wrapped)


def test_altered_wrapped_key_fails_authentication() -> None:
    key = MasterKey.generate()
    wrapped = bytearray(key.wrap(bytes(32)))
    wrapped[-1] ^= 1
    with pytest.raises(DecryptionError):
        key.unwrap(bytes(wrapped))
    with pytest.raises(DecryptionError):
        key.unwrap(bytes(wrapped[:-1]))


def test_blind_index_normalises_and_is_keyed_per_field() -> None:
    key = MasterKey.generate()
    composed = "김철수"
    decomposed = "\u1100\u1175\u11b7\u110e\u1165\u11af\u1109\u116e"  # same name as jamo
    assert normalise_for_index(decomposed) == composed
    assert key.blind_index("name", f"  {decomposed} ") == key.blind_index("name", composed)
    assert key.blind_index("name", "KIM  Chol Su") == key.blind_index("name", "kim chol su")
    assert key.blind_index("name", "Strasse") == key.blind_index("name", "STRAẞE")
    assert key.blind_index("name", composed) != key.blind_index("alias", composed)
    assert key.blind_index("name", composed) != key.blind_index("name", "김철호")
    assert key.blind_index("name", composed) != MasterKey.generate().blind_index("name", composed)
    token = key.blind_index("name", composed)
    assert len(token) == 32 and composed not in token


def test_pseudonym_is_stable_keyed_and_prefixed() -> None:
    key = MasterKey.generate()
    p = key.pseudonym("person", "42")
    assert p == key.pseudonym("person", "42")
    assert p.startswith("P-") and len(p) == 14
    assert p != key.pseudonym("person", "43")
    assert p != MasterKey.generate().pseudonym("person", "42")
    assert key.pseudonym("information", "42").startswith("S-")


def test_subkeys_are_bound_to_purpose() -> None:
    key = MasterKey.generate()
    assert key.subkey("a") != key.subkey("b")
    assert key.subkey("a") != key.secret_bytes()
    with pytest.raises(ValueError):
        key.subkey("")


def test_keyring_unwraps_by_key_id_during_rotation() -> None:
    old, new = MasterKey.generate(), MasterKey.generate()
    under_old = old.wrap(b"o" * 32)
    ring = Keyring(new, [old])
    under_new = ring.wrap(b"n" * 32)
    assert wrapped_key_id(under_new) == new.key_id
    assert ring.unwrap(under_old) == b"o" * 32
    assert ring.unwrap(under_new) == b"n" * 32
    assert ring.key_ids == {old.key_id, new.key_id}
    with pytest.raises(MissingKey, match="not in the key store"):
        Keyring(new).unwrap(under_old)


@settings(max_examples=80, deadline=None)
@given(value=st.text(max_size=40))
def test_blind_index_depends_only_on_the_normalised_value(value: str) -> None:
    once = normalise_for_index(value)
    assert normalise_for_index(once) == once
    assert _KEY.blind_index("name", value) == _KEY.blind_index("name", once)
    assert _KEY.blind_index("name", f" \t{value}\n ") == _KEY.blind_index("name", value)
    assert _KEY.blind_index("name", value.casefold()) == _KEY.blind_index("name", value)


_KEY = MasterKey.generate()
