"""`kirok users add` and `kirok users token`, through the Typer app."""

from __future__ import annotations

from pathlib import Path

import pytest
from argon2 import PasswordHasher
from typer.testing import CliRunner

from kirok.cli import app
from kirok.security import passwords
from kirok.services import users
from kirok.services.context import Settings, initialise, open_store

PASSWORD = "correct horse battery staple"


def _initialised(tmp_path: Path) -> tuple[dict[str, str], Settings]:
    """A fresh database and key store, and the environment that names them."""
    env = {
        "KIROK_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
        "KIROK_KEY_FILE": str(tmp_path / "kirok.key"),
        "KIROK_KEYSTORE": str(tmp_path / "keys.json"),
    }
    settings = Settings.from_env(
        db=env["KIROK_DATABASE_URL"],
        keystore=Path(env["KIROK_KEYSTORE"]),
        key_file=Path(env["KIROK_KEY_FILE"]),
    )
    initialise(settings).close()
    return env, settings


def test_users_add_and_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(passwords, "default_hasher", lambda: cheap)
    env, settings = _initialised(tmp_path)
    runner = CliRunner()
    added = runner.invoke(
        app,
        ["users", "add", "kim", "--role", "reviewer"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
        env=env,
    )
    assert added.exit_code == 0, added.output
    assert PASSWORD not in added.output and "created kim (reviewer)" in added.output
    short = runner.invoke(
        app, ["users", "add", "lee", "--role", "viewer"], input="short\nshort\n", env=env
    )
    assert short.exit_code == 1 and "12 characters" in short.output
    again = runner.invoke(
        app,
        ["users", "add", "kim", "--role", "viewer"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
        env=env,
    )
    assert again.exit_code == 1 and "taken" in again.output
    issued = runner.invoke(app, ["users", "token", "kim", "--days", "2"], env=env)
    assert issued.exit_code == 0, issued.output
    token = issued.output.strip().splitlines()[-1]
    with open_store(settings) as store:
        user = users.user_for_token(store, token)
        assert user is not None and user.username == "kim" and user.role == "reviewer"
        assert users.authenticate(store, "kim", PASSWORD).user == user
    assert runner.invoke(app, ["users", "token", "nobody"], env=env).exit_code == 1


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_with_workers_starts_processes_that_each_open_the_store(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    import httpx

    env = {**os.environ, **_initialised(tmp_path)[0]}
    port = _free_port()
    kirok = Path(sys.executable).with_name("kirok")
    command = [str(kirok), "serve", "--workers", "2", "--port", str(port)]
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            command, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 120
        status = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/login", timeout=5).status_code
                break
            except httpx.TransportError:
                time.sleep(0.5)
        assert status == 200, log.read_text()
        # uvicorn's supervisor and its two workers: each worker built the app from the
        # environment the parent prepared (a worker that could not open the store would exit).
        children = subprocess.run(
            ["pgrep", "-P", str(server.pid)], capture_output=True, text=True, check=False
        ).stdout.split()
        assert len(children) >= 2
        # the keys never travel in the command line, only the paths to them
        cmdlines = [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in children]
        assert not any(b"kirok.key" in line for line in cmdlines)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def test_worker_listener_gives_connections_tcp_nodelay() -> None:
    """Without TCP_NODELAY every keep-alive response waits ~40 ms for a delayed ACK."""
    import asyncio
    import socket

    from kirok.cli.serve import tcp_listener

    async def accepted_nodelay() -> int:
        listener = tcp_listener("127.0.0.1", 0)
        port = listener.getsockname()[1]
        seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        class Probe(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                sock = transport.get_extra_info("socket")
                seen.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                transport.close()

        server = await asyncio.get_running_loop().create_server(Probe, sock=listener)
        async with server:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
            value = await asyncio.wait_for(seen, 10)
            writer.close()
            await writer.wait_closed()
        return value

    assert asyncio.run(accepted_nodelay()) != 0
