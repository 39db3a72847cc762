"""Exchange packages: only the recipient opens them, tampering is caught before any write."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from typer.testing import CliRunner

from kirok.cli import app
from kirok.domain.records import Act, Event, NameForm, Person, content_fields
from kirok.services import catalogue
from kirok.services.context import Settings, initialise
from kirok.services.io.exchange import PackageRejected, create_package, import_package
from kirok.store.repository import RecordStore

KINDS = ["place", "person", "event", "act"]
Package = tuple[Path, X25519PrivateKey, Ed25519PrivateKey, dict[str, dict[str, object]]]


def _open(root: Path) -> RecordStore:
    root.mkdir(parents=True, exist_ok=True)
    return initialise(
        Settings(f"sqlite:///{root / 'k.db'}", root / "keys.json", root / "kirok.key")
    )


@pytest.fixture
def package(tmp_path: Path) -> Iterator[Package]:
    recipient = X25519PrivateKey.generate()
    signer = Ed25519PrivateKey.generate()
    with _open(tmp_path / "sender") as store:
        catalogue.load_gazetteer(store, "test")
        with store.write("test") as uow:
            kim = uow.add(Person(name_forms=[NameForm(text="김철수")], aliases=["=1+1"]))
            event = uow.add(Event(title="Arrest at Musan", place_id="KP-NHA-MUSAN"))
            uow.add(Act(event_id=event.id, victim_id=kim.id, act_type="12000000000004"))
        path = tmp_path / "for-ohchr.kirokpkg"
        counts = create_package(
            store, path, kinds=KINDS, recipient=recipient.public_key(), signer=signer,
            actor="test",
        )  # fmt: skip
        with store.read() as uow:
            original: dict[str, dict[str, object]] = {
                k: {r.id: content_fields(r) for r in uow.iter_kind(k)} for k in KINDS
            }
    assert counts["person"] == 1 and counts["act"] == 1
    yield path, recipient, signer, original


def _records(store: RecordStore) -> dict[str, dict[str, object]]:
    with store.read() as uow:
        return {k: {r.id: content_fields(r) for r in uow.iter_kind(k)} for k in KINDS}


def test_the_recipient_imports_exactly_what_was_sent(tmp_path: Path, package: Package) -> None:
    path, recipient, signer, original = package
    with _open(tmp_path / "recipient") as store:
        import_package(store, path, recipient, "test", trusted_sender=signer.public_key())
        assert _records(store) == original
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        assert "김철수" not in archive.read("payload.bin").decode("latin-1")
    assert set(manifest["files"]) == {"place.json", "person.json", "event.json", "act.json",
                                      "custody.json"}  # fmt: skip
    assert manifest["custody"]["created_by"] == "test"


def _rewrite(path: Path, member: str, change: bytes | None = None, flip: int | None = None) -> None:
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    data = bytearray(members[member])
    if flip is not None:
        data[flip % len(data)] ^= 0x01
    members[member] = bytes(data) if change is None else change
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)


@pytest.mark.parametrize(
    ("member", "flip", "reason"),
    [
        ("payload.bin", 100, "SHA-256"),
        ("manifest.json", 40, "signature"),
        ("manifest.sig", 3, "signature"),
    ],
)
def test_tampering_is_refused_before_anything_is_written(
    tmp_path: Path,
    package: Package,
    member: str,
    flip: int,
    reason: str,
) -> None:
    path, recipient, signer, _ = package
    _rewrite(path, member, flip=flip)
    with _open(tmp_path / "recipient") as store:
        before = _records(store)
        with pytest.raises(PackageRejected, match=reason):
            import_package(store, path, recipient, "test", trusted_sender=signer.public_key())
        assert _records(store) == before


def test_wrong_recipient_or_untrusted_sender_is_refused(tmp_path: Path, package: Package) -> None:
    path, recipient, _, _ = package
    with _open(tmp_path / "recipient") as store:
        with pytest.raises(PackageRejected, match="another recipient"):
            import_package(store, path, X25519PrivateKey.generate(), "test")
        with pytest.raises(PackageRejected, match="trusted sender"):
            import_package(
                store,
                path,
                recipient,
                "test",
                trusted_sender=Ed25519PrivateKey.generate().public_key(),
            )
        assert _records(store)["person"] == {}


def test_package_commands_end_to_end(tmp_path: Path) -> None:
    runner = CliRunner()

    def env(name: str) -> dict[str, str]:
        return {
            "KIROK_DATABASE_URL": f"sqlite:///{tmp_path / name}.db",
            "KIROK_KEY_FILE": str(tmp_path / f"{name}.key"),
            "KIROK_KEYSTORE": str(tmp_path / f"{name}.keys.json"),
        }

    for name in ("ngo", "un"):
        assert runner.invoke(app, ["init"], env=env(name)).exit_code == 0
        assert runner.invoke(app, ["package", "keygen", str(tmp_path / name)]).exit_code == 0
    people = tmp_path / "people.csv"
    people.write_text("Case No,Name\nA1,Kim\nA2,Ri\n", encoding="utf-8")
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        "kind: person\nsource: ngo\ncolumns: {Case No: external_id, Name: name_forms}\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["import", str(people), "--mapping", str(mapping)], env=env("ngo"))
    assert result.exit_code == 0, result.output
    package = tmp_path / "p.kirokpkg"
    create = [
        "package", "create", "--out", str(package), "--kind", "person",
        "--recipient", str(tmp_path / "un.x25519.pub"),
        "--signing-key", str(tmp_path / "ngo.ed25519"),
    ]  # fmt: skip
    result = runner.invoke(app, create, env=env("ngo"))
    assert result.exit_code == 0, result.output
    opened = [
        "package", "import", str(package), "--key", str(tmp_path / "un.x25519"),
        "--sender", str(tmp_path / "ngo.ed25519.pub"),
    ]  # fmt: skip
    result = runner.invoke(app, opened, env=env("un"))
    assert result.exit_code == 0, result.output
    assert "person: 2 created" in result.output
    wrong = [*opened[:4], str(tmp_path / "ngo.x25519"), *opened[5:]]
    result = runner.invoke(app, wrong, env=env("un"))
    assert result.exit_code == 1 and "another recipient" in result.output
