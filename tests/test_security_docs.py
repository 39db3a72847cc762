"""The key-management how-to runs as written (so it cannot silently go stale)."""

import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kirok.cli import app
from kirok.security.keystore import Argon2Params, KeyStore, Passphrase

HOWTO = Path(__file__).resolve().parents[1] / "docs" / "how-to" / "keys.md"


def _blocks(language: str) -> list[str]:
    text = HOWTO.read_text(encoding="utf-8")
    return re.findall(rf"```{language}\n(.*?)```", text, re.S)


def test_python_snippet_changes_the_passphrase_and_keeps_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # cheap Argon2id for the test; the how-to itself uses the real defaults
    monkeypatch.setattr(Argon2Params.__init__, "__defaults__", (1, 1024, 1))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KIROK_PASSPHRASE", "mountain river lantern seven copper")
    monkeypatch.setenv("KIROK_NEW_PASSPHRASE", "another five words to remember")
    store, master = KeyStore.create(Passphrase("mountain river lantern seven copper"))
    store.save(tmp_path / "kirok.keys.json")
    (snippet,) = _blocks("python")
    exec(compile(snippet, str(HOWTO), "exec"), {})
    changed = KeyStore.load(tmp_path / "kirok.keys.json")
    assert changed.unlock(Passphrase("another five words to remember")).current == master


def test_every_command_shown_exists_with_its_options() -> None:
    commands = [
        shlex.split(line[2:])
        for block in _blocks("console")
        for line in block.splitlines()
        if line.startswith("$ kirok ")
    ]
    assert {tuple(c[:3]) for c in commands} >= {
        ("kirok", "keys", "init"),
        ("kirok", "keys", "backup"),
        ("kirok", "keys", "restore"),
        ("kirok", "keys", "rotate"),
    }
    for command in commands:
        # --help is eager: the options are parsed (unknown ones fail) but nothing runs
        result = CliRunner().invoke(app, [*command[1:], "--help"])
        assert result.exit_code == 0, (command, result.output)
