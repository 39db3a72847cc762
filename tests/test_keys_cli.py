"""Key operations end to end: init, wrong secrets, backup and restore from shares, rotation."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from kirok.cli import app
from kirok.domain.records import Information, NameForm, Person
from kirok.security.errors import ShareError
from kirok.security.keystore import KeyFile, KeyStore, write_key_file
from kirok.services import keys
from kirok.services.context import Settings, initialise, open_store

runner = CliRunner()


def _settings(db_url: str, folder: Path) -> Settings:
    return Settings(db_url=db_url, keystore=folder / "keys.json", key_file=folder / "kirok.key")


def _seed(settings: Settings) -> tuple[str, str]:
    with initialise(settings) as store, store.write("alice") as uow:
        person = uow.add(Person(name_forms=[NameForm(text="리설주")], contact="Hyesan"))
        info = uow.add(Information(person_id=person.id, testimony="송환된 뒤 집결소에 갇혔다"))
    return person.id, info.id


def test_init_refuses_to_overwrite_and_wrong_passphrase_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {
        "KIROK_DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}",
        "KIROK_PASSPHRASE": "correct horse battery staple",
    }
    first = runner.invoke(app, ["keys", "init"], env=env)
    assert first.exit_code == 0, first.output
    again = runner.invoke(app, ["keys", "init"], env=env)
    assert again.exit_code == 1 and "already exists" in again.output
    assert runner.invoke(app, ["init"], env=env).exit_code == 0
    before = (tmp_path / "k.db").read_bytes()
    wrong = runner.invoke(
        app, ["init"], env={**env, "KIROK_PASSPHRASE": "not the right passphrase"}
    )
    assert wrong.exit_code == 1 and "passphrase" in wrong.output.lower()
    assert "Traceback" not in wrong.output
    assert (tmp_path / "k.db").read_bytes() == before


def test_two_of_three_shares_restore_a_working_key_store(tmp_path: Path) -> None:
    settings = _settings(f"sqlite:///{tmp_path / 'k.db'}", tmp_path)
    person_id, _ = _seed(settings)
    shares = keys.backup(settings, "admin", shares=3, threshold=2)
    assert len(shares) == 3
    for pair in ([0, 1], [0, 2], [1, 2]):
        folder = tmp_path / f"restored-{pair[0]}{pair[1]}"
        folder.mkdir()
        restored = Settings(
            db_url=settings.db_url, keystore=folder / "keys.json", key_file=folder / "new.key"
        )
        new_key = folder / "new.key"
        write_key_file(new_key)
        keys.restore([shares[i] for i in pair], KeyFile(new_key), restored.keystore)
        with open_store(restored) as store, store.read() as uow:
            assert uow.get(person_id).contact == "Hyesan"  # type: ignore[attr-defined]
    with pytest.raises(ShareError):
        keys.restore([shares[0]], KeyFile(tmp_path / "kirok.key"), tmp_path / "one-share.json")
    assert not (tmp_path / "one-share.json").exists()


def test_rotation_rewraps_every_key_and_keeps_search(db_url: str, tmp_path: Path) -> None:
    settings = _settings(db_url, tmp_path)
    person_id, info_id = _seed(settings)
    old_key = KeyStore.load(settings.keystore).current_key_id
    result = runner.invoke(
        app,
        [
            "keys",
            "rotate",
            "--db",
            db_url,
            "--keystore",
            str(settings.keystore),
            "--key-file",
            str(settings.key_file),
            "--batch",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    store_file = KeyStore.load(settings.keystore)
    assert store_file.current_key_id != old_key
    assert [e.key_id for e in store_file.entries] == [store_file.current_key_id]  # old key dropped
    with open_store(settings) as store, store.read() as uow:
        assert uow.get(person_id).contact == "Hyesan"  # type: ignore[attr-defined]
        assert [r.id for r in uow.search("집결소")] == [info_id]
        assert uow.find_person_by_name("리 설주") == [person_id]
    verified = runner.invoke(
        app,
        [
            "audit",
            "verify",
            "--db",
            db_url,
            "--keystore",
            str(settings.keystore),
            "--key-file",
            str(settings.key_file),
        ],
    )
    assert verified.exit_code == 0, verified.output


def _pseudonym(settings: Settings, record_id: str) -> str:
    with open_store(settings) as store:
        keyring = store.sealer.keyring  # type: ignore[attr-defined]
        return str(keyring.pseudonym("person", record_id))


def _rotate(settings: Settings, *extra: str) -> None:
    result = runner.invoke(
        app,
        [
            "keys",
            "rotate",
            *extra,
            "--db",
            settings.db_url,
            "--keystore",
            str(settings.keystore),
            "--key-file",
            str(settings.key_file),
        ],
    )
    assert result.exit_code == 0, result.output


def test_pseudonyms_survive_rotations_and_restores_and_differ_between_databases(
    tmp_path: Path,
) -> None:
    settings = _settings(f"sqlite:///{tmp_path / 'k.db'}", tmp_path)
    person_id, _ = _seed(settings)
    before = _pseudonym(settings, person_id)
    assert before.startswith("P-")
    first_key = KeyStore.load(settings.keystore).current_key_id
    _rotate(settings)
    _rotate(settings)
    assert KeyStore.load(settings.keystore).current_key_id != first_key
    assert _pseudonym(settings, person_id) == before

    # The key store is lost; two shares of the current master key and the database rebuild it.
    shares = keys.backup(settings, "admin", shares=3, threshold=2)
    folder = tmp_path / "restored"
    folder.mkdir()
    new_key = folder / "new.key"
    restored = Settings(db_url=settings.db_url, keystore=folder / "keys.json", key_file=new_key)
    outcome = runner.invoke(
        app,
        [
            "keys",
            "restore",
            shares[0],
            shares[2],
            "--keystore",
            str(restored.keystore),
            "--key-file",
            str(new_key),
            "--db",
            settings.db_url,
        ],
    )
    assert outcome.exit_code == 0, outcome.output
    assert _pseudonym(restored, person_id) == before
    # Without the database, the restored key store cannot know the pseudonym key.
    bare = folder / "bare.json"
    keys.restore(shares[:2], KeyFile(new_key), bare)
    assert KeyStore.load(bare).unlock(KeyFile(new_key)).pseudonym("person", person_id) != before

    # Another database (its own key store) gives the same record id another pseudonym.
    other_folder = tmp_path / "other"
    other_folder.mkdir()
    other = _settings(f"sqlite:///{other_folder / 'k.db'}", other_folder)
    initialise(other).close()
    assert _pseudonym(other, person_id) != before


def test_rotation_can_replace_the_pseudonym_key_when_asked(tmp_path: Path) -> None:
    settings = _settings(f"sqlite:///{tmp_path / 'k.db'}", tmp_path)
    person_id, _ = _seed(settings)
    before = _pseudonym(settings, person_id)
    _rotate(settings, "--new-pseudonyms")
    after = _pseudonym(settings, person_id)
    assert after != before and after.startswith("P-")
    _rotate(settings)
    assert _pseudonym(settings, person_id) == after
