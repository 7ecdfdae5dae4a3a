"""``linkdir import`` and ``linkdir export``: thin commands over transfer.service."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import click

from linkdir.transfer import service
from linkdir.transfer.drafts import ParseFailed, Problem


def _say(problem: Problem, prefix: str = "") -> str:
    where = f"line {problem.line}: " if problem.line else ""
    url = f" ({problem.url})" if problem.url else ""
    return f"{where}{prefix}{problem.field}: {problem.render(lambda m: m)}{url}"


def _read(source: str, limit: int) -> bytes:
    if source == "-":
        data: bytes = sys.stdin.buffer.read(limit + 1)
        if len(data) > limit:
            raise service.too_big(len(data), limit)
        return data
    path = Path(source)
    try:
        size = path.stat().st_size
        if size > limit:
            raise service.too_big(size, limit)
        return path.read_bytes()
    except OSError as error:
        raise click.ClickException(f"cannot read {source}: {error.strerror}") from None


@click.command("import")
@click.argument("source")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(service.IMPORT_FORMATS),
    default=None,
    help="What SOURCE is; guessed from the address, file name or content when left out.",
)
@click.option("--as", "as_email", default=None, help="Record the changes as this curator.")
@click.option(
    "--publish/--draft",
    default=False,
    help="State of imported resources whose source does not say (default: draft).",
)
@click.option(
    "--create-topics",
    is_flag=True,
    help="Create topics for headings, folders and names that match no existing topic.",
)
@click.option("--dry-run", is_flag=True, help="Report what would be imported; change nothing.")
def import_command(
    source: str,
    fmt: str | None,
    as_email: str | None,
    publish: bool,
    create_topics: bool,
    dry_run: bool,
) -> None:
    """Import resources from SOURCE: a links page (http(s) address), a file or - (stdin)."""
    from linkdir.cli import load_settings

    settings = load_settings()
    is_url = source.lower().startswith(("http://", "https://"))
    fmt = fmt or ("page" if is_url else None)
    try:
        if fmt == "page":
            if not is_url:
                raise click.UsageError("--format page needs an http(s) address as SOURCE")
            parsed = asyncio.run(service.fetch_links_page(source, settings))
        else:
            data = _read(source, settings.import_max_bytes)
            parsed = service.read_source(
                data,
                fmt or service.guess_format(source, data),
                max_bytes=settings.import_max_bytes,
            )
    except ParseFailed as failed:
        click.echo(f"linkdir: nothing imported from {source}: {failed}", err=True)
        sys.exit(1)
    report = asyncio.run(
        _import(settings, parsed, as_email, publish, create_topics, dry_run=dry_run)
    )
    for problem in report.problems:
        click.echo(_say(problem, "rejected: "))
    for problem in report.duplicates:
        click.echo(_say(problem, "skipped: "))
    for problem in report.notes:
        click.echo(_say(problem, "note: "))
    verb = "would import" if dry_run else "imported"
    count = len(report.planned) if dry_run else len(report.created)
    summary = (
        f"{verb} {count} of {parsed.rows} {parsed.format} rows; "
        f"{len(report.duplicates)} duplicates skipped, {len(report.problems)} rejected"
    )
    new_topics = report.topics_planned if dry_run else [t.name_sv for t in report.topics_created]
    if new_topics:
        summary += f"; new topics: {', '.join(new_topics)}"
    click.echo(summary)
    if not count and report.problems:
        sys.exit(1)


async def _import(
    settings: Any,
    parsed: Any,
    as_email: str | None,
    publish: bool,
    create_topics: bool,
    *,
    dry_run: bool,
) -> service.ImportReport:
    from linkdir import changes
    from linkdir.auth.guards import actor_of
    from linkdir.auth.service import find_user
    from linkdir.db import create_engine, session_factory
    from linkdir.resources.service import all_topics

    engine = create_engine(settings.database_url)
    factory = session_factory(engine)
    try:
        # Reading and reviewing take no write lock (WAL lets the site write meanwhile).
        async with factory() as session:
            actor = service.IMPORT_ACTOR
            if as_email:
                user = await find_user(session, as_email)
                if user is None or not user.is_active:
                    raise click.ClickException(f"no active account {as_email!r}")
                actor = actor_of(user)
            reviewed = await service.review(
                session, parsed, allow_networks=settings.checker_allow_networks
            )
            existing_topics = [t.slug for t in await all_topics(session)]
            await session.rollback()
        if dry_run:
            report = service.plan_import(
                reviewed, create_topics=create_topics, existing_topics=existing_topics
            )
        else:
            with click.progressbar(
                length=len(reviewed.rows), label="importing", file=sys.stderr
            ) as bar:
                report = await service.import_in_batches(
                    factory,
                    reviewed.rows,
                    by=actor,
                    definitions=reviewed.definitions,
                    create_topics=create_topics,
                    default_state="published" if publish else "draft",
                    allow_networks=settings.checker_allow_networks,
                    progress=bar.update,
                )
            # Awaited: the process ends right after, a background ping would be lost.
            await changes.announce(settings, factory, report.revision_ids)
        report.problems[:0] = reviewed.rejected
        report.problems.sort(key=lambda p: p.line)
        return report
    finally:
        await engine.dispose()


@click.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(service.EXPORT_FORMATS),
    default="json",
    show_default=True,
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Write to this file instead of standard output.",
)
def export_command(fmt: str, output: str | None) -> None:
    """Export the directory: JSON (complete), CSV, bookmarks or the OPML of feeds."""
    from linkdir.cli import load_settings
    from linkdir.db import create_engine, session_factory

    settings = load_settings()

    async def runner() -> bytes:
        engine = create_engine(settings.database_url)
        try:
            async with session_factory(engine)() as session:
                return await service.export(session, fmt, settings)
        finally:
            await engine.dispose()

    data = asyncio.run(runner())
    if output is None or output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    try:
        write_export(Path(output), data)
    except OSError as error:
        click.echo(f"linkdir: cannot write {output}: {error.strerror or error}", err=True)
        sys.exit(1)


def write_export(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` as a sysadmin expects of ``-o``.

    A regular file (or none yet) is replaced whole, so a reader never sees half a file:
    written beside it and renamed over it, keeping an existing file's permission bits. A
    symbolic link is followed (its target is written, the link stays). Anything else that
    already exists (a pipe, a device such as /dev/null) is written into, never replaced.
    """
    real = Path(os.path.realpath(target))
    if real.exists() and not real.is_file():
        with real.open("wb") as stream:
            stream.write(data)
        return
    tmp = real.with_name(f"{real.name}.partial")
    try:
        tmp.write_bytes(data)
        if real.exists():
            shutil.copymode(real, tmp)
        os.replace(tmp, real)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
