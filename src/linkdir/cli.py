"""The ``linkdir`` command."""

from __future__ import annotations

import sys

import click

from linkdir.config import Settings, SettingsError


def load_settings() -> Settings:
    """Settings from the environment, or a clear message and exit status 2."""
    try:
        return Settings.from_env()
    except SettingsError as error:
        click.echo(f"linkdir: configuration error: {error}", err=True)
        sys.exit(2)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="linkdir")
def main() -> None:
    """linkdir: a curated link directory that checks its own links."""


def _register() -> None:
    from linkdir.checks.cli import check_urls

    main.add_command(check_urls)


_register()
