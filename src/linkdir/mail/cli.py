"""``linkdir digest send [--dry-run]``: every due digest now, and what was sent."""

from __future__ import annotations

import asyncio

import click

from linkdir.mail.digest import DigestOutcome


def _describe(outcome: DigestOutcome) -> str:
    if not outcome.counts:
        return f"{outcome.email}\t{outcome.period}\tnothing new"
    counts = ", ".join(f"{key} {count}" for key, count in outcome.counts.items())
    return f"{outcome.email}\t{outcome.period}\t{counts}"


@click.group("digest")
def digest_group() -> None:
    """Curators' e-mail digests."""


@digest_group.command("send")
@click.option("--dry-run", is_flag=True, help="Show what would be sent; send and record nothing.")
def digest_send(dry_run: bool) -> None:
    """Send every curator's due digest now (whatever the hour) and print what was sent."""
    from linkdir.cli import _configure_logging, _fail, load_settings
    from linkdir.db import create_engine, session_factory
    from linkdir.mail.digest import send_due_digests
    from linkdir.mail.outbox import drain

    settings = load_settings()
    _configure_logging(settings)
    if not settings.mail_enabled and not settings.is_development and not dry_run:
        _fail("LINKDIR_SMTP_URL is empty: no mail can be sent (try --dry-run).")

    async def runner() -> tuple[list[DigestOutcome], int, int]:
        engine = create_engine(settings.database_url)
        try:
            factory = session_factory(engine)
            outcomes = await send_due_digests(factory, settings, dry_run=dry_run, force=True)
            if dry_run:
                return outcomes, 0, 0
            result = await drain(factory, settings)
            return outcomes, result.sent, result.failed
        finally:
            await engine.dispose()

    outcomes, sent, failed = asyncio.run(runner())
    for outcome in outcomes:
        click.echo(("would send " if dry_run and outcome.counts else "") + _describe(outcome))
    if not outcomes:
        click.echo("no digest is due")
    if not dry_run:
        click.echo(f"mails sent: {sent}, failed (to be retried): {failed}")
        if failed:
            raise SystemExit(1)
