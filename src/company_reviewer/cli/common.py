"""Options and helpers shared by CLI modules."""

from __future__ import annotations

import json
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


def parse_options(pairs: tuple[str, ...]) -> dict:
    """``--option key=value`` pairs as a dict; values are JSON when they parse as JSON, else strings."""
    options = {}
    for pair in pairs:
        if "=" not in pair:
            raise click.BadParameter(f"{pair!r} is not key=value", param_hint="--option")
        key, value = pair.split("=", 1)
        try:
            options[key] = json.loads(value)
        except json.JSONDecodeError:
            options[key] = value
    return options


def load_groups(input_path, companies, preset, database_url):
    """(company, reviews) groups from INPUT (any file `ingest` reads) or, without it, from the store."""
    from company_reviewer.reviewer.predict import company_groups

    if input_path:
        from company_reviewer.data.load import read_reviews
        from company_reviewer.data.readers import UnreadableFileError

        try:
            frame, rejected = read_reviews(input_path, preset=preset)
        except UnreadableFileError as exc:
            raise click.ClickException(str(exc)) from exc
        if rejected:
            click.echo(f"note: {len(rejected)} invalid row(s) in {input_path} skipped "
                       "(run `company-reviewer ingest` to see why)", err=True)
        try:
            return company_groups(frame, companies)
        except KeyError as exc:
            raise click.ClickException(f"{exc.args[0]} in {input_path}") from exc
    if not companies:
        raise click.UsageError("give INPUT, or --company NAME for companies already in the store")
    from company_reviewer.store.repository import load_reviews_frame

    engine = open_engine(database_url)
    groups = []
    for name in companies:
        frame = load_reviews_frame(engine, [name])
        if frame.empty:
            raise click.ClickException(f"no reviews for {name!r} in the store; see `company-reviewer companies`")
        groups.append((name.split("::", 1)[-1], frame))
    return groups
