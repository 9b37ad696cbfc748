"""``company-reviewer review``: the product's main job."""

from __future__ import annotations

import json
import sys

import click

from company_reviewer.cli.common import database_option, emit, load_groups, option_error, parse_options


@click.command()
@click.argument("input_path", metavar="INPUT", required=False, type=click.Path(dir_okay=False))
@click.option("--company", "companies", multiple=True,
              help="Review only this company (repeatable). Without INPUT: companies in the store "
                   "(NAME or SOURCE::NAME).")
@click.option("--max-reviews", default=50, show_default=True, type=click.IntRange(1, 10_000),
              help="Reviews used per company (sampled when there are more).")
@click.option("--sample", "sample", default="stratified", show_default=True,
              type=click.Choice(["stratified", "random", "recent", "all"]), help="How reviews are chosen.")
@click.option("--model", default=None, help="Model: embedded (default), baseline:tfidf, baseline:mean, ...")
@click.option("--option", "options", multiple=True, metavar="KEY=VALUE", help="Model option (repeatable).")
@click.option("--format", "fmt", default="markdown", show_default=True,
              type=click.Choice(["json", "jsonl", "markdown"]))
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="Write here instead of stdout.")
@click.option("--preset", default=None, help="Input layout for INPUT (default: detected).")
@click.option("--random-state", default=0, show_default=True)
@click.option("--taxonomy", "taxonomy_spec", default=None, metavar="FILE|NAME",
              help="Review along these dimensions: a built-in (default, kununu, indeed, hotel) or a YAML file "
                   "(`company-reviewer taxonomy init`). Default: the 12 built-in dimensions.")
@database_option
def review(input_path, companies, max_reviews, sample, model, options, fmt, out, preset, random_state,
           taxonomy_spec, database_url):
    """Review companies from INPUT (any file `ingest` reads) or from the store (--company).

    json: one object for one company, else an array; jsonl: one object per line.
    """
    from pydantic import ValidationError

    from company_reviewer.reviewer.base import UnknownModelError
    from company_reviewer.reviewer.predict import review_groups
    from company_reviewer.reviewer.render import to_markdown

    taxonomy = taxonomy_or_exit(taxonomy_spec)
    groups = load_groups(input_path, companies, preset, database_url)
    try:
        # Long (LLM) work reports per company and dimension on stderr; stdout stays the review.
        results = review_groups(groups, model=model, options=parse_options(options), max_reviews=max_reviews,
                                sample=sample, random_state=random_state, taxonomy=taxonomy,
                                progress=lambda line: click.echo(f"[review] {line}", err=True))
        rendered = _render(results, fmt, to_markdown, progress_total=len(groups))
    except ValidationError as exc:  # an --option the model does not take, or a bad value
        raise click.ClickException(option_error(exc, model)) from exc
    except (UnknownModelError, FileNotFoundError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    emit(rendered, out, f"wrote {len(groups)} company review(s) to {out}")


def taxonomy_or_exit(spec: str | None):
    """The --taxonomy named (None without one), or a CLI error naming the file, line and problem."""
    if spec is None:
        return None
    from company_reviewer.taxonomy import load_taxonomy

    try:
        return load_taxonomy(spec)
    except ValueError as exc:
        raise click.ClickException(f"--taxonomy: {exc}") from exc


def _render(results, fmt, to_markdown, progress_total: int) -> str:
    from tqdm import tqdm

    reviews = list(tqdm(results, total=progress_total, desc="reviewing", unit=" company",
                        disable=progress_total < 2 or not sys.stderr.isatty(), leave=False))
    if fmt == "jsonl":
        return "".join(r.model_dump_json() + "\n" for r in reviews)
    if fmt == "json":
        payload = [r.model_dump(mode="json") for r in reviews]
        return json.dumps(payload[0] if len(payload) == 1 else payload, ensure_ascii=False, indent=2) + "\n"
    return "\n---\n\n".join(to_markdown(r) for r in reviews)


COMMANDS = [review]
