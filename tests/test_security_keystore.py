import base64
import json
import stat
from dataclasses import replace
from pathlib import Path

import pytest

from kirok.security.errors import (
    KeyStoreError,
    KeyStoreExists,
    MissingKey,
    WeakPassphrase,
    WrongPassphrase,
)
from kirok.security.keys import PSEUDONYM_PURPOSE, MasterKey, wrapped_key_id
from kirok.security.keystore import (
    Argon2Params,
    KeyFile,
    KeyStore,
    Passphrase,
    read_key_file,
    write_key_file,
)

FAST = Argon2Params(time_cost=1, memory_cost_kib=1024, parallelism=1)
PASS = Passphrase("correct horse 배터리 staple")


def test_passphrase_store_round_trip_through_file(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    store, master = KeyStore.create(PASS, kdf=FAST)
    store.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert master.secret_bytes().hex() not in text
    doc = json.loads(text)
    assert doc["unlock"]["kdf"]["name"] == "argon2id"
    assert doc["unlock"]["kdf"]["memory_cost_kib"] == 1024
    assert doc["keys"][0]["key_id"] == master.key_id
    ring = KeyStore.load(path).unlock(PASS)
    assert ring.current == master


def test_salt_is_random_per_store() -> None:
    a, _ = KeyStore.create(PASS, kdf=FAST)
    b, _ = KeyStore.create(PASS, kdf=FAST)
    assert a.salt != b.salt and a.salt is not None and len(a.salt) == 16


def test_passphrase_is_nfc_normalised() -> None:
    composed = Passphrase("비밀번호는 길어야 합니다")
    decomposed = Passphrase(
        "\u1107\u1175\u1106\u1175\u11af\u1107\u1165\u11ab\u1112\u1169\u1102\u1173\u11ab"
        " \u1100\u1175\u11af\u110b\u1165\u110b\u1163 \u1112\u1161\u11b8\u1102\u1175\u1103\u1161"
    )
    store, master = KeyStore.create(composed, kdf=FAST)
    assert store.unlock(decomposed).current == master


def test_wrong_passphrase_is_a_clear_error_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    store, _ = KeyStore.create(PASS, kdf=FAST)
    store.save(path)
    before = path.read_bytes()
    with pytest.raises(WrongPassphrase, match="does not unlock"):
        KeyStore.load(path).unlock(Passphrase("wrong passphrase entirely"))
    with pytest.raises(WrongPassphrase):
        KeyStore.load(path).with_new_current(
            Passphrase("wrong passphrase entirely"), MasterKey.generate()
        )
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keys.json"]


def test_missing_store_and_key_file_raise_missing_key(tmp_path: Path) -> None:
    with pytest.raises(MissingKey, match="no key store"):
        KeyStore.load(tmp_path / "absent.json")
    with pytest.raises(MissingKey, match="no key file"):
        KeyStore.create(KeyFile(tmp_path / "absent.key"))
    assert not list(tmp_path.iterdir())


def test_key_file_store_and_wrong_key_file(tmp_path: Path) -> None:
    kf, other = tmp_path / "a.key", tmp_path / "b.key"
    write_key_file(kf)
    write_key_file(other)
    assert stat.S_IMODE(kf.stat().st_mode) == 0o600
    assert len(read_key_file(kf)) == 32
    store, master = KeyStore.create(KeyFile(kf))
    assert store.method == "key-file" and store.kdf is None
    loaded = KeyStore.from_json(store.to_json())
    assert loaded.unlock(KeyFile(kf)).current == master
    with pytest.raises(WrongPassphrase):
        loaded.unlock(KeyFile(other))
    with pytest.raises(KeyStoreError, match="key file, not a passphrase"):
        loaded.unlock(PASS)
    with pytest.raises(KeyStoreExists):
        write_key_file(kf)


def test_bad_key_file_is_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "bad.key"
    bad.write_text("hello\n")
    with pytest.raises(KeyStoreError, match="not a kirok key file"):
        read_key_file(bad)


def test_weak_passphrase_is_refused() -> None:
    with pytest.raises(WeakPassphrase):
        KeyStore.create(Passphrase("short"), kdf=FAST)


def test_save_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    store, _ = KeyStore.create(PASS, kdf=FAST)
    store.save(path)
    before = path.read_bytes()
    other, _ = KeyStore.create(PASS, kdf=FAST)
    with pytest.raises(KeyStoreExists):
        other.save(path)
    assert path.read_bytes() == before
    other.save(path, overwrite=True)
    assert path.read_bytes() != before


def test_rotation_keeps_old_key_readable_until_removed() -> None:
    store, old = KeyStore.create(PASS, kdf=FAST)
    wrapped_old = old.wrap(b"d" * 32)
    new = MasterKey.generate()
    rotating = store.with_new_current(PASS, new)
    ring = KeyStore.from_json(rotating.to_json()).unlock(PASS)
    assert ring.current == new and rotating.current_key_id == new.key_id
    assert ring.unwrap(wrapped_old) == b"d" * 32
    with pytest.raises(KeyStoreError, match="current master key cannot be removed"):
        rotating.without_key(new.key_id)
    done = rotating.without_key(old.key_id)
    assert done.unlock(PASS).key_ids == {new.key_id}
    with pytest.raises(MissingKey):
        done.without_key(old.key_id)
    with pytest.raises(KeyStoreError, match="already"):
        done.with_new_current(PASS, new)


def test_changing_the_secret_keeps_the_master_key(tmp_path: Path) -> None:
    store, master = KeyStore.create(PASS, kdf=FAST)
    new_pass = Passphrase("a different long passphrase")
    changed = store.with_secret(PASS, new_pass, kdf=FAST)
    assert changed.salt != store.salt
    assert changed.unlock(new_pass).current == master
    with pytest.raises(WrongPassphrase):
        changed.unlock(PASS)
    kf = tmp_path / "k.key"
    write_key_file(kf)
    to_file = changed.with_secret(new_pass, KeyFile(kf))
    assert to_file.unlock(KeyFile(kf)).current == master


def test_restored_master_key_gets_a_new_store() -> None:
    master = MasterKey.generate()
    store, same = KeyStore.create(PASS, master, kdf=FAST)
    assert same is master and store.unlock(PASS).current == master


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d.update(format="other"), "not a kirok key store"),
        (lambda d: d.update(version=99), "unsupported key store version"),
        (lambda d: d["unlock"].update(method="smartcard"), "unknown unlock method"),
        (lambda d: d["unlock"]["kdf"].update(name="scrypt"), "unsupported KDF"),
        (lambda d: d["keys"][0].update(status="retired"), "exactly one current"),
        (lambda d: d["keys"][0].update(wrapped="!!"), "not valid base64"),
        (lambda d: d.pop("keys"), "malformed"),
    ],
)
def test_malformed_store_is_rejected(mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    store, _ = KeyStore.create(PASS, kdf=FAST)
    doc = json.loads(store.to_json())
    mutate(doc)
    with pytest.raises(KeyStoreError, match=message):
        KeyStore.from_json(json.dumps(doc))


@pytest.mark.parametrize("field", ["key_id", "wrapped"])
def test_altered_entry_is_not_reported_as_a_wrong_passphrase(field: str) -> None:
    store, _ = KeyStore.create(PASS, kdf=FAST)
    doc = json.loads(store.to_json())
    if field == "key_id":
        doc["keys"][0]["key_id"] = "00" * 8  # the key id is authenticated data
    else:
        raw = bytearray(base64.b64decode(doc["keys"][0]["wrapped"]))
        raw[-1] ^= 1
        doc["keys"][0]["wrapped"] = base64.b64encode(bytes(raw)).decode()
    altered = KeyStore.from_json(json.dumps(doc))
    with pytest.raises(KeyStoreError, match="altered or damaged") as info:
        altered.unlock(PASS)
    assert not isinstance(info.value, WrongPassphrase)
    with pytest.raises(WrongPassphrase):
        altered.unlock(Passphrase("wrong passphrase entirely"))


def test_unreadable_paths_are_key_store_errors(tmp_path: Path) -> None:
    with pytest.raises(KeyStoreError, match="cannot read the key store"):
        KeyStore.load(tmp_path)  # a directory
    with pytest.raises(KeyStoreError, match="cannot read the key file"):
        read_key_file(tmp_path)


def test_the_pseudonym_key_outlives_rotation_and_secret_changes(tmp_path: Path) -> None:
    store, first = KeyStore.create(PASS, kdf=FAST)
    before = store.unlock(PASS).pseudonym("person", "p1")
    assert before == first.pseudonym("person", "p1")
    second = MasterKey.generate()
    rotated = store.with_new_current(PASS, second)
    assert rotated.pseudonym_key is not None
    assert wrapped_key_id(rotated.pseudonym_key) == second.key_id  # re-wrapped, not replaced
    # A retired key that still wraps the pseudonym key cannot be dropped.
    stale = replace(
        rotated,
        pseudonym_key=first.wrap(first.pseudonyms.secret_bytes(), purpose=PSEUDONYM_PURPOSE),
    )
    with pytest.raises(KeyStoreError, match="wraps the pseudonym key"):
        stale.without_key(first.key_id)
    done = KeyStore.from_json(rotated.without_key(first.key_id).to_json())
    assert done.unlock(PASS).pseudonym("person", "p1") == before
    assert second.pseudonym("person", "p1") != before  # not the new master key's own
    new_pass = Passphrase("a different long passphrase")
    changed = done.with_secret(PASS, new_pass, kdf=FAST)
    assert changed.unlock(new_pass).pseudonym("person", "p1") == before
    # A restore that is handed the pseudonym key keeps it too.
    restored, _ = KeyStore.create(PASS, second, kdf=FAST, pseudonyms=done.unlock(PASS).pseudonyms)
    assert restored.unlock(PASS).pseudonym("person", "p1") == before


def test_an_altered_pseudonym_key_is_a_key_store_error() -> None:
    store, _ = KeyStore.create(PASS, kdf=FAST)
    rotated = store.with_new_current(PASS, MasterKey.generate())
    doc = json.loads(rotated.to_json())
    raw = bytearray(base64.b64decode(doc["pseudonym_key"]))
    raw[-1] ^= 1
    doc["pseudonym_key"] = base64.b64encode(bytes(raw)).decode()
    with pytest.raises(KeyStoreError, match="pseudonym key"):
        KeyStore.from_json(json.dumps(doc)).unlock(PASS)
