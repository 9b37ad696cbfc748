"""Data-layer commands: ingest, companies, show, quarantine, snapshot."""

from __future__ import annotations

import json
import sys

import click

from company_reviewer.cli.common import console, database_option, open_engine

EXIT_OK = 0
EXIT_QUARANTINED = 3
EXIT_FILE_FAILED = 4


def _parse_mapping(pairs: tuple[str, ...]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        if "=" not in pair:
            raise click.BadParameter(f"{pair!r} is not field=column", param_hint="--map")
        field, column = pair.split("=", 1)
        mapping[field.strip()] = column.strip()
    return mapping


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--preset", default=None, help="Input layout: canonical, glassdoor, indeed, ambitionbox, kununu "
              "(default: detected from the columns).")
@click.option("--map", "mappings", multiple=True, metavar="FIELD=COLUMN",
              help="Map a canonical field to a column of the file; repeatable; overrides the preset.")
@click.option("--source", default=None, help="Source name stored with every review (default: the preset's).")
@click.option("--encoding", default=None, metavar="CODEC",
              help="Text encoding of CSV/TSV/JSON files, e.g. cp1252, latin-1, utf-16 (default: detected; the "
                   "summary says what was assumed).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
@database_option
def ingest(paths, preset, mappings, source, encoding, as_json, database_url):
    """Read review files (CSV, TSV, JSON, JSONL, Parquet, Avro; optionally .gz) into the store.

    Invalid rows go to the quarantine table with their reason; duplicates are skipped.
    Exit status: 0 all rows stored or duplicates; 3 some rows quarantined
    (see `company-reviewer quarantine`); 4 a file could not be read (other files were ingested).
    """
    from company_reviewer.store.ingest import ingest_paths, summary_json

    engine = open_engine(database_url)
    summary = ingest_paths(
        paths, engine, preset=preset, user_mapping=_parse_mapping(mappings), source=source,
        progress=sys.stderr.isatty(), encoding=encoding,
    )
    if as_json:
        click.echo(summary_json(summary))
    else:
        _print_summary(summary)
    if any(f.error for f in summary.files):
        sys.exit(EXIT_FILE_FAILED)
    # Rows rejected again on a rerun are still not in the store: the file still has bad rows.
    rejected = summary.total("quarantined") + summary.total("already_quarantined")
    sys.exit(EXIT_QUARANTINED if rejected else EXIT_OK)


def _print_summary(summary) -> None:
    from rich.table import Table
    from rich.text import Text

    out = console()
    table = Table(title="Ingest summary")
    for name in ("file", "preset", "read", "stored", "duplicates", "quarantined"):
        table.add_column(name, justify="left" if name in ("file", "preset") else "right")
    for f in summary.files:
        if f.error:
            table.add_row(Text(f.path), "-", "-", "-", "-", "-")
        else:
            table.add_row(Text(f.path), f.preset,
                          *(str(getattr(f, n)) for n in ("read", "stored", "duplicates", "quarantined")))
    out.print(table)
    for f in summary.files:
        if f.error:
            out.print("[red]error[/red] ", markup=True, highlight=False, end="")
            out.print(f.error, markup=False, highlight=False)
        for note in f.notes:
            out.print(f"  {f.path}: {note}", markup=False, highlight=False)
        for reason, count in f.reasons.most_common(10):
            out.print(f"  quarantined {count} x {reason}", markup=False, highlight=False)
        if f.already_quarantined:
            out.print(f"  {f.already_quarantined} rejected row(s) were already in the quarantine from an earlier "
                      "run", markup=False, highlight=False)
        if f.truncated:
            out.print(f"  {f.truncated} stored review(s) had text cut at the length cap "
                      "(COMPANY_REVIEWER_MAX_TEXT_CHARS; attribute 'truncated')", markup=False, highlight=False)
        for batch_id in f.interrupted_batches:
            out.print(f"  batch {batch_id} of an ingest that was killed is marked interrupted; rerun its file "
                      "to complete it", markup=False, highlight=False)
    if summary.total("quarantined") or summary.total("already_quarantined"):
        out.print("Inspect quarantined rows with `company-reviewer quarantine`.", markup=False)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines instead of a table.")
@database_option
def companies(as_json, database_url):
    """List companies in the store with review counts and date ranges."""
    from company_reviewer.store.repository import list_companies

    frame = list_companies(open_engine(database_url))
    if as_json:
        click.echo(frame.to_json(orient="records", date_format="iso", lines=True), nl=False)
        return
    from rich.table import Table

    table = Table(title=f"{len(frame)} companies")
    for name in ("company", "source", "reviews", "from", "to", "mean rating"):
        table.add_column(name, justify="right" if name in ("reviews", "mean rating") else "left")
    for row in frame.itertuples():
        mean = "-" if row.mean_rating is None or row.mean_rating != row.mean_rating else f"{row.mean_rating:.2f}"
        # Names are data: "[blink]EvilCo[/blink]" is shown as typed, not as Rich markup.
        table.add_row(_plain(row.company), _plain(row.source), str(row.n_reviews), str(row.date_min or "-"),
                      str(row.date_max or "-"), mean)
    console().print(table)


def _plain(value) -> str:
    """Stored text for a Rich console: markup escaped, bidi and control characters dropped."""
    from rich.markup import escape

    from company_reviewer.reviewer.render import display_text

    return escape(display_text(value))


def _field(value) -> str | None:
    """A text field of a stored review, or None when empty (an empty field arrives as NaN)."""
    return value if isinstance(value, str) and value.strip() else None


@click.command()
@click.argument("company")
@click.option("--limit", default=5, show_default=True, help="How many reviews to print.")
@click.option("--json", "as_json", is_flag=True)
@database_option
def show(company, limit, as_json, database_url):
    """Show one company (NAME or SOURCE::NAME): counts, ratings and its latest reviews."""
    from company_reviewer.store.repository import load_reviews_frame

    frame = load_reviews_frame(open_engine(database_url), [company])
    if frame.empty:
        raise click.ClickException(f"no reviews for {company!r}; see `company-reviewer companies` for names")
    stats = {
        "company": company, "n_reviews": int(len(frame)), "sources": sorted(frame["source"].unique().tolist()),
        "date_min": str(frame["date"].dropna().min()) if frame["date"].notna().any() else None,
        "date_max": str(frame["date"].dropna().max()) if frame["date"].notna().any() else None,
        "mean_rating": (None if frame["rating_overall"].isna().all()
                        else round(float(frame["rating_overall"].mean()), 3)),
        "languages": frame["language"].fillna("unknown").value_counts().to_dict(),
    }
    latest = frame.sort_values("date", ascending=False, na_position="last").head(limit)
    if as_json:
        stats["latest"] = json.loads(
            latest.drop(columns=["sub_ratings", "attributes"]).to_json(orient="records", date_format="iso"))
        click.echo(json.dumps(stats, ensure_ascii=False, default=str))
        return
    import pandas as pd

    from company_reviewer.reviewer.render import display_text

    out = console()
    out.print(f"[bold]{_plain(company)}[/bold]: {stats['n_reviews']} reviews from "
              f"{_plain(', '.join(stats['sources']))}, {stats['date_min']} to {stats['date_max']}, "
              f"mean rating {stats['mean_rating']}")
    for row in latest.itertuples():
        rating = "-" if pd.isna(row.rating_overall) else row.rating_overall
        date = "" if pd.isna(row.date) else row.date
        headline = _field(row.headline)
        out.print(f"\n[bold]{_plain(headline) if headline else '(no headline)'}[/bold]  {rating}★  {date}",
                  highlight=False)
        for name in ("pros", "cons", "advice", "text"):
            value = _field(getattr(row, name))
            if value:
                out.print(f"  {name}: {display_text(value)[:400]}", markup=False, highlight=False)


@click.command()
@click.option("--limit", default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@database_option
def quarantine(limit, as_json, database_url):
    """List quarantined rows with the reason each was rejected."""
    from company_reviewer.store.repository import quarantined_rows

    frame = quarantined_rows(open_engine(database_url), limit)
    if as_json:
        click.echo(frame.to_json(orient="records", lines=True), nl=False)
        return
    out = console()
    for row in frame.itertuples():
        out.print(f"{row.source_file}:{row.row_number}  {row.reason}", markup=False, highlight=False)
    if frame.empty:
        out.print("The quarantine is empty.")


@click.group()
def snapshot():
    """Freeze, list and inspect dataset snapshots (reproducible training and evaluation data)."""


@snapshot.command("create")
@click.argument("name")
@click.option("--company", "companies", multiple=True, help="Only these companies (NAME or SOURCE::NAME).")
@click.option("--source", "sources", multiple=True, help="Only these sources.")
@click.option("--description", default=None)
@click.option("--json", "as_json", is_flag=True)
@database_option
def snapshot_create(name, companies, sources, description, as_json, database_url):
    """Freeze the matching reviews under NAME with a content hash."""
    from company_reviewer.store.snapshots import SnapshotError, create_snapshot

    try:
        info = create_snapshot(open_engine(database_url), name, companies=companies, sources=sources,
                               description=description)
    except SnapshotError as exc:
        raise click.ClickException(str(exc)) from exc
    _echo_snapshot(info, as_json)


@snapshot.command("list")
@click.option("--json", "as_json", is_flag=True)
@database_option
def snapshot_list(as_json, database_url):
    """List snapshots."""
    from company_reviewer.store.snapshots import list_snapshots

    infos = list_snapshots(open_engine(database_url))
    if as_json:
        click.echo(json.dumps([_snapshot_dict(i) for i in infos], default=str))
        return
    for info in infos:
        click.echo(f"{info.name}\t{info.n_reviews} reviews\t{info.content_hash[:12]}\t{info.created_at:%Y-%m-%d %H:%M}")
    if not infos:
        click.echo("No snapshots yet; create one with `company-reviewer snapshot create NAME`.")


@snapshot.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
@database_option
def snapshot_show(name, as_json, database_url):
    """Show one snapshot and verify its content hash against the store."""
    from company_reviewer.store.snapshots import SnapshotError, get_snapshot, load_snapshot

    engine = open_engine(database_url)
    try:
        info = get_snapshot(engine, name)
        frame = load_snapshot(engine, name)
    except SnapshotError as exc:
        raise click.ClickException(str(exc)) from exc
    payload = _snapshot_dict(info) | {"verified": True, "n_companies": int(frame["company_key"].nunique())}
    if as_json:
        click.echo(json.dumps(payload, default=str))
    else:
        for key, value in payload.items():
            click.echo(f"{key}: {value}")


def _snapshot_dict(info) -> dict:
    return {"name": info.name, "created_at": info.created_at, "content_hash": info.content_hash,
            "n_reviews": info.n_reviews, "description": info.description, "selection": info.selection}


def _echo_snapshot(info, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(_snapshot_dict(info), default=str))
    else:
        click.echo(f"snapshot {info.name}: {info.n_reviews} reviews, content hash {info.content_hash}")


COMMANDS = [ingest, companies, show, quarantine, snapshot]
