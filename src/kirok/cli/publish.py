"""`kirok publish`: publish public reports, run the mailing list, serve the public site."""

from __future__ import annotations

import getpass
import os
from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer

from kirok.cli.common import DbOption, KeyFileOption, KeystoreOption, fail_on_errors, settings
from kirok.services.context import open_keyring, open_store

if TYPE_CHECKING:
    from kirok.services.publishing import ListSettings

publish_app = typer.Typer(
    help="Publish public reports; the mailing list (double opt-in); the public read-only site."
)

SMTP_PASSWORD_ENV = "KIROK_SMTP_PASSWORD"

CountryOption = Annotated[str, typer.Option(help="Country code (ISO 3166-1 alpha-2).")]
YearOption = Annotated[int, typer.Option(min=1900, max=2100, help="The year the report covers.")]
SiteUrlOption = Annotated[
    str,
    typer.Option(
        "--site-url",
        envvar="KIROK_SITE_URL",
        help="The public site's address, used in links (e.g. https://reports.example.org).",
    ),
]
SenderOption = Annotated[
    str,
    typer.Option(envvar="KIROK_MAIL_SENDER", help="From address of the list's messages."),
]
SmtpHostOption = Annotated[str, typer.Option(envvar="KIROK_SMTP_HOST", help="SMTP server.")]
SmtpPortOption = Annotated[int, typer.Option(envvar="KIROK_SMTP_PORT", min=1, max=65535)]
StartTlsOption = Annotated[
    bool, typer.Option("--starttls/--no-starttls", help="Upgrade the SMTP connection to TLS.")
]
SmtpUserOption = Annotated[
    str | None,
    typer.Option(
        envvar="KIROK_SMTP_USER",
        help=f"SMTP login; the password is read from {SMTP_PASSWORD_ENV}.",
    ),
]


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _list_settings(
    site_url: str, sender: str, host: str, port: int, starttls: bool, user: str | None
) -> ListSettings:
    from kirok.reports.publishing import SmtpSettings
    from kirok.services.publishing import ListSettings

    smtp = SmtpSettings(
        host, port, starttls=starttls, username=user, password=os.environ.get(SMTP_PASSWORD_ENV)
    )
    return ListSettings(base_url=site_url, sender=sender, smtp=smtp)


def report(
    year: YearOption,
    country: CountryOption = "KP",
    db: DbOption = None,
    keystore: KeystoreOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Publish the public report of a year: it is built now to check that everything in it may
    be published, then listed on the public site and in the feed (built live on each visit)."""
    from kirok.services import publishing

    with fail_on_errors():
        config = settings(db, keystore, key_file)
        keyring = open_keyring(config)
        with open_store(config) as store:
            done = publishing.publish(store, keyring, country, year, actor=_actor())
    typer.echo(f"published {done.slug} ({done.published_at:%Y-%m-%d %H:%M} UTC)")


def withdraw(
    year: YearOption,
    country: CountryOption = "KP",
    db: DbOption = None,
    keystore: KeystoreOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Take a published report off the public site and the feed."""
    from kirok.services import publishing

    with fail_on_errors(), open_store(settings(db, keystore, key_file)) as store:
        publishing.withdraw(store, country, year, actor=_actor())
    typer.echo(f"withdrawn {country.lower()}-{year}")


def status(
    db: DbOption = None,
    keystore: KeystoreOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """The published reports and how many subscribers are pending or confirmed (no address
    is shown)."""
    from kirok.services import publishing

    with fail_on_errors(), open_store(settings(db, keystore, key_file)) as store:
        found = publishing.publications(store)
        counts = publishing.DatabaseSubscribers(store, actor=_actor()).counts()
    for publication in found:
        typer.echo(f"{publication.slug}\tpublished {publication.published_at:%Y-%m-%d}")
    if not found:
        typer.echo("no report is published")
    typer.echo(
        f"subscribers: {counts.get('confirmed', 0)} confirmed, {counts.get('pending', 0)} pending"
    )


def subscribe(
    email: Annotated[str, typer.Argument(help="The address to subscribe.")],
    site_url: SiteUrlOption = "http://127.0.0.1:8001",
    sender: SenderOption = "reports@localhost",
    smtp_host: SmtpHostOption = "127.0.0.1",
    smtp_port: SmtpPortOption = 25,
    starttls: StartTlsOption = True,
    smtp_user: SmtpUserOption = None,
    db: DbOption = None,
    keystore: KeystoreOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Add an address as pending and mail it the confirmation link (double opt-in)."""
    from kirok.services import publishing

    options = _list_settings(site_url, sender, smtp_host, smtp_port, starttls, smtp_user)
    with fail_on_errors(), open_store(settings(db, keystore, key_file)) as store:
        sent = publishing.subscribe(store, email, actor=_actor(), settings=options)
    if sent:
        typer.echo("confirmation sent (the address receives nothing else until it is confirmed)")
    else:
        typer.echo("a confirmation link was sent to this address a short while ago: not again")


def confirm(
    token: Annotated[str, typer.Argument(help="The token of a confirmation link.")],
    db: DbOption = None,
    keystore: KeystoreOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Confirm a subscription with the token from its confirmation link."""
    from kirok.services import publishing

    with fail_on_errors(), open_store(settings(db, keystore, key_file)) as store:
        publishing.confirm(store, token, actor=_actor())
    typer.echo("subscription confirmed")


def unsubscribe(
    token: Annotated[str, typer.Argument(help="The token of an unsubscribe link.")],
    db: DbOption = None,
    keystore: KeystoreOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Remove the address an unsubscribe link was made for."""
    from kirok.services import publishing

    with fail_on_errors(), open_store(settings(db, keystore, key_file)) as store:
        removed = publishing.unsubscribe(store, token, actor=_actor())
    typer.echo("unsubscribed" if removed else "that address was not subscribed")


def announce(
    year: YearOption,
    country: CountryOption = "KP",
    site_url: SiteUrlOption = "http://127.0.0.1:8001",
    sender: SenderOption = "reports@localhost",
    smtp_host: SmtpHostOption = "127.0.0.1",
    smtp_port: SmtpPortOption = 25,
    starttls: StartTlsOption = True,
    smtp_user: SmtpUserOption = None,
    db: DbOption = None,
    keystore: KeystoreOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Mail every confirmed subscriber that a published report is out (one-click unsubscribe
    in every message)."""
    from kirok.services import publishing

    options = _list_settings(site_url, sender, smtp_host, smtp_port, starttls, smtp_user)
    with fail_on_errors():
        config = settings(db, keystore, key_file)
        keyring = open_keyring(config)
        with open_store(config) as store:
            sent = publishing.announce(
                store, keyring, country, year, actor=_actor(), settings=options, on=date.today()
            )
    typer.echo(f"announced to {sent} subscriber(s)")


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8001,
    https: Annotated[
        bool | None,
        typer.Option(
            "--https/--no-https",
            help="Mark the session cookie Secure (default: on unless listening on loopback). "
            "Serve behind a TLS-terminating proxy when not on loopback.",
        ),
    ] = None,
    site_url: SiteUrlOption = "http://127.0.0.1:8001",
    sender: SenderOption = "reports@localhost",
    smtp_host: SmtpHostOption = "127.0.0.1",
    smtp_port: SmtpPortOption = 25,
    starttls: StartTlsOption = True,
    smtp_user: SmtpUserOption = None,
    mailing: Annotated[
        bool, typer.Option("--mailing/--no-mailing", help="Offer the subscribe form.")
    ] = True,
    db: DbOption = None,
    keystore: KeystoreOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Serve the public read-only site: published reports, the Atom feed, the mailing list.
    A separate application from `kirok serve`; run it on its own port or host."""
    import uvicorn

    from kirok.web.public_site import create_public_app

    secure = https if https is not None else host not in {"127.0.0.1", "::1", "localhost"}
    options = _list_settings(site_url, sender, smtp_host, smtp_port, starttls, smtp_user)
    with fail_on_errors():
        app = create_public_app(
            settings(db, keystore, key_file), mail=options if mailing else None, https=secure
        )
    typer.echo(f"kirok public site at http://{host}:{port}/")
    uvicorn.run(app, host=host, port=port, proxy_headers=secure, log_level="info")


def register(app: typer.Typer) -> None:
    """Add this group's commands to the main app."""
    publish_app.command("report")(report)
    publish_app.command("withdraw")(withdraw)
    publish_app.command("status")(status)
    publish_app.command("subscribe")(subscribe)
    publish_app.command("confirm")(confirm)
    publish_app.command("unsubscribe")(unsubscribe)
    publish_app.command("announce")(announce)
    publish_app.command("serve")(serve)
    app.add_typer(publish_app, name="publish")
