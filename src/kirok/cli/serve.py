"""`kirok serve` (the web application) and `kirok users` (web accounts and API tokens)."""

from __future__ import annotations

import getpass
import os
import socket
from typing import Annotated

import typer

from kirok.cli.common import DbOption, KeyFileOption, KeystoreOption, fail_on_errors, settings
from kirok.security.policy import Role
from kirok.services import users
from kirok.services.context import Settings, open_store

users_app = typer.Typer(help="Web accounts and API tokens.")

_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    https: Annotated[
        bool | None,
        typer.Option(
            "--https/--no-https",
            help="Mark session cookies Secure (default: on unless listening on loopback). "
            "Serve behind a TLS-terminating proxy when not on loopback.",
        ),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Worker processes. One process serves one request at a time in Python; "
            "several use several cores (each opens its own connections to the database).",
        ),
    ] = 1,
    db: DbOption = None,
    keystore: KeystoreOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Serve the web application and the JSON API (uvicorn)."""
    import uvicorn

    from kirok.web.app import create_app

    secure = https if https is not None else host not in _LOOPBACK
    chosen = settings(db, keystore, key_file)
    if workers == 1:
        with fail_on_errors():
            app = create_app(chosen, https=secure)
        _listening(host, port)
        uvicorn.run(app, host=host, port=port, proxy_headers=secure, log_level="info")
        return
    with fail_on_errors():
        open_store(chosen).close()  # refuse here, once, what every worker would refuse
    worker_environment(chosen, https=secure)
    try:
        listener = tcp_listener(host, port)
    except OSError as error:
        typer.echo(f"error: cannot listen on {host}:{port}: {error.strerror}", err=True)
        raise typer.Exit(1) from None
    _listening(host, port)
    serve_workers(listener, workers, proxy_headers=secure)


WORKER_HEALTHCHECK_SECONDS = 60


def serve_workers(
    listener: socket.socket,
    workers: int,
    *,
    proxy_headers: bool,
    log_level: str = "info",
    access_log: bool = True,
) -> None:
    """Run `workers` uvicorn processes on `listener`, each building the app from the
    environment ``worker_environment`` prepared; closes the listener when they stop."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    host, port = listener.getsockname()[:2]
    config = uvicorn.Config(
        "kirok.web.app:create_app_from_environment",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        proxy_headers=proxy_headers,
        log_level=log_level,
        access_log=access_log,
        # uvicorn kills and restarts a worker that does not answer its health check in time
        # (5 s by default); on a busy machine a worker still importing and opening the store
        # missed it again and again, and the server took minutes to come up.
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
    )
    try:
        Multiprocess(config, sockets=[listener]).run()
    finally:
        listener.close()


def tcp_listener(host: str, port: int) -> socket.socket:
    """The listening socket the workers share, made as TCP explicitly.

    uvicorn's own (``Config.bind_socket``) leaves the protocol number at 0; accepted
    connections inherit it and asyncio then never sets TCP_NODELAY on them, so on Linux every
    keep-alive response waits ~40 ms for the client's delayed ACK (uvicorn issue #3149).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError:
        listener.close()
        raise
    listener.set_inheritable(True)
    return listener


def worker_environment(chosen: Settings, *, https: bool) -> None:
    """Put `chosen` where ``create_app_from_environment`` finds it in each worker process."""
    from kirok.services.context import KEY_FILE_ENV, KEYSTORE_ENV
    from kirok.store.engine import URL_ENV
    from kirok.web.app import HTTPS_ENV

    os.environ[URL_ENV] = chosen.db_url
    os.environ[KEYSTORE_ENV] = str(chosen.keystore)
    if chosen.key_file is not None:
        os.environ[KEY_FILE_ENV] = str(chosen.key_file)
    os.environ[HTTPS_ENV] = "1" if https else "0"


def _listening(host: str, port: int) -> None:
    typer.echo(f"kirok at http://{host}:{port}/ (sign in with an account from `kirok users add`)")


def users_add(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[Role, typer.Option(help="What the account may do (see the policy).")],
    db: DbOption = None,
    keystore: KeystoreOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Create a web account; the password is asked for (twice) and never echoed."""
    password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with fail_on_errors():
        store = open_store(settings(db, keystore, key_file))
        try:
            user = users.add_user(store, username, role.value, password, actor=_actor())
        finally:
            store.close()
    typer.echo(f"created {user.username} ({user.role})")


def users_token(
    username: Annotated[str, typer.Argument(help="Whose token.")],
    days: Annotated[int, typer.Option(min=1, max=365, help="Days until it expires.")] = 30,
    db: DbOption = None,
    keystore: KeystoreOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Issue an API token (shown once; only its digest is stored)."""
    from datetime import timedelta

    with fail_on_errors():
        store = open_store(settings(db, keystore, key_file))
        try:
            user = users.find_user(store, username)
            if user is None:
                raise users.UserProblem(f"no user {username!r}")
            token = users.issue_token(store, user, lifetime=timedelta(days=days))
        finally:
            store.close()
    typer.echo(token)


def users_totp(
    username: Annotated[str, typer.Argument(help="Whose account.")],
    db: DbOption = None,
    keystore: KeystoreOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Turn on a second factor: prints the secret and its otpauth:// URI once."""
    with fail_on_errors(), open_store(settings(db, keystore, key_file)) as store:
        secret, uri = users.enable_totp(store, username, actor=f"cli:{getpass.getuser()}")
    typer.echo(f"secret: {secret}")
    typer.echo(f"uri:    {uri}")
    typer.echo("Enter it in an authenticator app now; it is not shown again.", err=True)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    users_app.command("totp")(users_totp)
    users_app.command("add")(users_add)
    users_app.command("token")(users_token)
    app.add_typer(users_app, name="users")
