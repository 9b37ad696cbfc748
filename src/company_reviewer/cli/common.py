"""Options and helpers shared by CLI modules."""

from __future__ import annotations

import sys

import click

database_option = click.option(
    "--database", "database_url", metavar="URL", default=None,
    help="Database URL (sqlite:///file.db or postgresql://user@host/db). "
         "Default: $COMPANY_REVIEWER_DATABASE_URL, else SQLite under the data directory.",
)


def open_engine(database_url: str | None):
    """The migrated engine, or a clean CLI error saying what to do."""
    from company_reviewer.store.db import StoreError, get_engine

    try:
        return get_engine(database_url)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc


def console():
    from rich.console import Console

    return Console(stderr=False, soft_wrap=False, width=None if sys.stdout.isatty() else 120)
