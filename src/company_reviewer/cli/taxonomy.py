"""``company-reviewer taxonomy init|check|show``: writing, validating and trying out a taxonomy."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.group()
def taxonomy() -> None:
    """Your own review dimensions: a YAML file that --taxonomy takes (review, classify, batch, ...)."""


@taxonomy.command("init")
@click.argument("path", type=click.Path(dir_okay=False), default="taxonomy.yaml")
@click.option("--force", is_flag=True, help="Overwrite PATH when it exists.")
def init(path: str, force: bool) -> None:
    """Write a commented taxonomy template to PATH (default: taxonomy.yaml)."""
    from company_reviewer.taxonomy import TEMPLATE

    target = Path(path)
    if target.exists() and not force:
        raise click.ClickException(f"{target} exists; choose another path or pass --force to overwrite it")
    target.write_text(TEMPLATE, encoding="utf-8")
    click.echo(f"wrote {target}: edit it, then `company-reviewer taxonomy check {target}`")


@taxonomy.command("check")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print {valid, problems: [{severity, line, message}]}.")
def check(path: str, as_json: bool) -> None:
    """Validate a taxonomy file; every problem is printed with its line. Exit status 1 on errors."""
    from company_reviewer.taxonomy import check_taxonomy_file

    if not Path(path).is_file():
        raise click.ClickException(f"taxonomy file not found: {path} (`company-reviewer taxonomy init {path}` "
                                   f"writes a template)")
    result, problems = check_taxonomy_file(path)
    errors = [p for p in problems if p.severity == "error"]
    if as_json:
        click.echo(json.dumps({"valid": not errors, "problems": [vars(p) for p in problems]}, ensure_ascii=False))
    else:
        for problem in problems:
            where = f"{path}:{problem.line}" if problem.line else path
            click.echo(f"{where}: {problem.severity}: {problem.message}", err=problem.severity == "error")
        if result is not None:
            warnings = len(problems)
            click.echo(f"{path}: valid: {result.name} v{result.version}, {len(result)} dimensions "
                       f"({', '.join(result.ids)})" + (f"; {warnings} warning(s)" if warnings else ""))
    if errors:
        if not as_json:
            click.echo(f"{path}: {len(errors)} error(s)", err=True)
        raise SystemExit(1)


@taxonomy.command("show")
@click.argument("spec", metavar="FILE|NAME")
@click.option("--sample", "sample_path", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A review file (any format `ingest` reads): show coverage and example units on it.")
@click.option("--max-reviews", default=200, show_default=True, type=click.IntRange(1, 5000),
              help="Reviews sampled from --sample.")
@click.option("--examples", default=3, show_default=True, type=click.IntRange(0, 10),
              help="Example units per dimension.")
@click.option("--preset", default=None, help="Layout of --sample (default: detected).")
@click.option("--json", "as_json", is_flag=True, help="Print the taxonomy (and coverage) as JSON.")
def show(spec: str, sample_path: str | None, max_reviews: int, examples: int, preset: str | None,
         as_json: bool) -> None:
    """Print a taxonomy's dimensions and, with --sample, how they are detected in real reviews:
    the share of reviews and units per dimension and example units (verbatim, shortened)."""
    from company_reviewer.taxonomy import load_taxonomy

    try:
        chosen = load_taxonomy(spec)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    found = None
    if sample_path is not None:
        from company_reviewer.custom.inspect import coverage, sample_reviews
        from company_reviewer.data.readers import UnreadableFileError

        try:
            reviews = sample_reviews(sample_path, max_reviews, preset=preset)
            found = coverage(reviews, chosen, examples=examples)
        except (FileNotFoundError, ValueError, UnreadableFileError) as exc:
            raise click.ClickException(str(exc)) from exc
    if as_json:
        payload = chosen.to_dict()
        if found is not None:
            payload["coverage"] = found.to_dict()
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    click.echo(f"{chosen.name} v{chosen.version}: {len(chosen)} dimensions")
    by_id = {d.id: d for d in found.dimensions} if found is not None else {}
    if found is not None:
        click.echo(f"detected in {found.n_units} units of {found.n_reviews} sampled reviews from {sample_path}")
    for dimension in chosen:
        seeds = ", ".join(f"{lang} {len(terms)}" for lang, terms in dimension.seeds.items()) or "none"
        maps = f"; maps to {', '.join(dimension.maps_to)}" if dimension.maps_to else ""
        click.echo(f"\n{dimension.id}  {dimension.label}  (seeds: {seeds}{maps})")
        click.echo(f"  {dimension.description}")
        if dimension.id in by_id:
            c = by_id[dimension.id]
            share = c.reviews / found.n_reviews if found.n_reviews else 0.0
            section = f", {c.by_section} from its kununu section" if c.by_section else ""
            click.echo(f"  coverage: {c.reviews} of {found.n_reviews} reviews ({share:.0%}), {c.units} units{section}")
            for example in c.examples:
                click.echo(f"    \u201c{example}\u201d")


COMMANDS = [taxonomy]
