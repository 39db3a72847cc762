"""The key-management how-to runs as written (so it cannot silently go stale)."""

import re
from pathlib import Path

import pytest

from kirok.security.keystore import Argon2Params, KeyFile, KeyStore, Passphrase, write_key_file

HOWTO = Path(__file__).resolve().parents[1] / "docs" / "how-to" / "keys.md"


def _snippets() -> list[str]:
    return re.findall(r"```python\n(.*?)```", HOWTO.read_text(encoding="utf-8"), re.S)


def test_keys_howto_snippets_run_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # cheap Argon2id for the test; the how-to itself uses the real defaults
    monkeypatch.setattr(Argon2Params.__init__, "__defaults__", (1, 1024, 1))
    monkeypatch.chdir(tmp_path)
    write_key_file(tmp_path / "kirok.key")  # what `kirok init` leaves behind
    store, master = KeyStore.create(KeyFile(tmp_path / "kirok.key"))
    store.save(tmp_path / "kirok.keys.json")
    snippets = _snippets()
    assert len(snippets) == 3
    for code in snippets:
        exec(compile(code, str(HOWTO), "exec"), {})
    out = capsys.readouterr().out
    assert out.count(master.fingerprint) == 2  # printed at backup and at restore
    assert sorted(p.name for p in tmp_path.glob("share-*.txt")) == [
        "share-1.txt",
        "share-2.txt",
        "share-3.txt",
    ]
    restored = KeyStore.load(tmp_path / "restored.keys.json")
    assert restored.unlock(Passphrase("correct horse battery staple 2026")).current == master
