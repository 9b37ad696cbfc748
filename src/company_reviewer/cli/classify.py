"""``company-reviewer classify``: dimensions and sentiment of opinion units."""

from __future__ import annotations

import json

import click

from company_reviewer.cli.common import emit


def _table(rows: list[dict]) -> str:
    from tabulate import tabulate

    body = []
    for row in rows:
        labels = ", ".join(f"{d} {v['sentiment']} ({v['confidence']:.2f})" for d, v in row["dimensions"].items())
        text = row["text"] if len(row["text"]) <= 70 else row["text"][:67] + "..."
        body.append([row["id"], text, labels or "-"])
    return tabulate(body, headers=["id", "text", "dimensions"], tablefmt="simple") + "\n"


@click.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", default="jsonl", show_default=True, type=click.Choice(["jsonl", "json", "table"]))
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="Write here instead of stdout.")
@click.option("--model", default=None, help="embedded (default: the shipped heads) or a trained bundle folder.")
@click.option("--preset", default=None, help="Input layout when INPUT is a review file (default: detected).")
@click.option("--taxonomy", "taxonomy_spec", default=None, metavar="FILE|NAME",
              help="Label with these dimensions: a built-in (default, kununu, indeed, hotel) or a YAML file.")
def classify(input_path, fmt, out, model, preset, taxonomy_spec):
    """Say which dimensions each opinion unit of INPUT speaks to, and with which sentiment.

    INPUT: JSONL or CSV of units (`id`, `text`, optional `field` pros|cons|advice|headline|text
    and `language`), or any review file `ingest` reads, which is split into units first. Output,
    one per unit: {"id", "text", "dimensions": {dimension: {"sentiment", "confidence"}}}, with
    only the detected dimensions.
    """
    from company_reviewer.aspects.classify import classify_frame, read_units
    from company_reviewer.data.readers import UnreadableFileError

    from company_reviewer.cli.predict import taxonomy_or_exit
    from company_reviewer.taxonomy import is_default

    taxonomy = taxonomy_or_exit(taxonomy_spec)
    try:
        units = read_units(input_path, preset=preset)
        if taxonomy is not None and not is_default(taxonomy):
            from company_reviewer.custom.review import classify_with_taxonomy

            rows = classify_with_taxonomy(units, taxonomy, model)
        else:
            rows = classify_frame(units, model)
    except (FileNotFoundError, ValueError, UnreadableFileError) as exc:
        raise click.ClickException(str(exc)) from exc
    if fmt == "jsonl":
        rendered = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    elif fmt == "json":
        rendered = json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    else:
        rendered = _table(rows)
    emit(rendered, out, f"classified {len(rows)} unit(s) into {out}")


COMMANDS = [classify]
