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


class RegistryName(click.ParamType):
    """A name registered under one kind of :mod:`company_reviewer.registry`, checked when the
    command runs (so plugins' names are accepted and ``--help`` imports nothing)."""

    name = "name"

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def convert(self, value, param, ctx):
        from company_reviewer import registry

        known = registry.get_registry(self.kind)
        if value in known:
            return value
        self.fail(f"{value!r} is not one of the registered {self.kind.replace('_', ' ')}: "
                  f"{', '.join(known.names())} (`company-reviewer plugins` lists what is installed)", param, ctx)


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


def _options_class(spec: str | None):
    """The options model of the reviewer ``spec`` names (None when the spec names no reviewer)."""
    from company_reviewer.reviewer.base import reviewer_class

    cls = reviewer_class(spec)
    return cls.Options if cls is not None else None


def describe_options(spec: str | None) -> str:
    """``name=default (description)`` for every option of the reviewer ``spec`` names."""
    options = _options_class(spec)
    if options is None:
        return ""
    parts = []
    for name, field in options.model_fields.items():
        default = "" if field.is_required() else f"={field.get_default(call_default_factory=True)!r}"
        parts.append(f"  {name}{default}" + (f"  {field.description}" if field.description else ""))
    if spec and spec.split(":")[0] == "llm":
        from company_reviewer.llm.reviewer import _backend_fields

        backend = spec.split(":")[1] if spec.count(":") else "llamacpp"
        parts.append(f"  and the {backend} backend's: {', '.join(_backend_fields(backend)) or 'none'}")
    return "\n".join(parts)


def option_error(exc, spec: str | None) -> str:
    """A readable message for invalid ``--option`` values (pydantic's names its documentation URL)."""
    problems = []
    for error in exc.errors():
        name = ".".join(str(part) for part in error["loc"]) or "options"
        if error["type"] == "extra_forbidden":
            problems.append(f"{name}: not an option of this model")
        else:
            problems.append(f"{name}={error.get('input')!r}: {error['msg']}")
    listing = describe_options(spec)
    return (f"invalid --option for model {spec or 'embedded'!r}: " + "; ".join(problems)
            + (f"\nvalid options (--option KEY=VALUE):\n{listing}" if listing else ""))


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


def emit(rendered: str, out: str | None, written: str) -> None:
    """``rendered`` to the file ``out`` (saying ``written`` on stderr), else to stdout."""
    if out:
        with open(out, "w", encoding="utf-8") as handle:
            handle.write(rendered)
        click.echo(written, err=True)
    else:
        click.echo(rendered, nl=False)
