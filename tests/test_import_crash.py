"""A batched import killed with SIGKILL leaves whole batches only, and --resume completes it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from kirok.services.context import Settings, initialise

ROWS = 6000
BATCH = 200
MAPPING = """kind: person
source: crash-test
columns:
  Case No: external_id
  Name: name_forms
  Born: birth_date
  Aliases: aliases
"""


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "KIROK_DATABASE_URL": f"sqlite:///{tmp_path / 'kirok.db'}",
        "KIROK_KEY_FILE": str(tmp_path / "kirok.key"),
        "KIROK_KEYSTORE": str(tmp_path / "keys.json"),
    }


def _state(url: str) -> tuple[int, int, int | None]:
    """(person rows, distinct external ids, checkpointed row count)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            people, distinct = connection.execute(
                sa.text(
                    "SELECT count(*), count(DISTINCT external_id) FROM records "
                    "WHERE kind = 'person'"
                )
            ).one()
            row = connection.execute(
                sa.text("SELECT value FROM kirok_meta WHERE key LIKE 'import:%'")
            ).first()
    finally:
        engine.dispose()
    return int(people), int(distinct), None if row is None else json.loads(row[0])["done"]


@pytest.mark.slow
def test_sigkill_mid_import_then_resume(tmp_path: Path) -> None:
    env = _env(tmp_path)
    url = env["KIROK_DATABASE_URL"]
    with initialise(Settings(url, tmp_path / "keys.json", tmp_path / "kirok.key")):
        pass
    data = tmp_path / "big.csv"
    lines = ["Case No,Name,Born,Aliases"]
    lines += [f"K-{i:06d},Person {i},19{40 + i % 50}~,alias {i}; other {i}" for i in range(ROWS)]
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "map.yaml").write_text(MAPPING, encoding="utf-8")
    command = [
        sys.executable,
        "-c",
        "from kirok.cli import main; main()",
        "import",
        str(data),
        "--mapping",
        str(tmp_path / "map.yaml"),
        "--batch",
        str(BATCH),
    ]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    checkpoint = None
    while time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.2)
        _, _, checkpoint = _state(url)
        if checkpoint is not None and checkpoint >= 2 * BATCH:
            break
    assert process.poll() is None, "the import finished before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.communicate()

    people, distinct, checkpoint = _state(url)
    assert checkpoint is not None and 0 < checkpoint < ROWS
    assert people == distinct == checkpoint  # whole batches, each committed with its checkpoint
    assert checkpoint % BATCH == 0

    refused = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert refused.returncode == 1 and "--resume" in refused.stderr + refused.stdout
    resumed = subprocess.run(
        [*command, "--resume"], env=env, capture_output=True, text=True, check=False
    )
    assert resumed.returncode == 0, resumed.stderr
    assert f"resumed after {checkpoint} rows" in resumed.stdout
    assert _state(url) == (ROWS, ROWS, None)
