"""Training-data commands: the review dimensions and the reviews sampled per company.

Plain click commands; ``company_reviewer.cli`` registers them (see ``COMMANDS``).
"""

from __future__ import annotations

import json

import click

from company_reviewer.cli.common import console, database_option, open_engine


@click.command()
@click.option("--taxonomy", "spec", default=None, metavar="SPEC",
              help="Built-in name (default, kununu, indeed) or a YAML/JSON file. "
                   "Default: $COMPANY_REVIEWER_TAXONOMY, else the built-in default.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of dimensions.")
def dimensions(spec: str | None, as_json: bool) -> None:
    """List the review dimensions of a taxonomy: id, label, description and seed words."""
    from company_reviewer.taxonomy import load_taxonomy

    try:
        taxonomy = load_taxonomy(spec)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps([d.to_dict() for d in taxonomy], ensure_ascii=False, indent=2))
        return
    from rich.table import Table

    table = Table(title=f"{taxonomy.name} taxonomy v{taxonomy.version} ({len(taxonomy)} dimensions)")
    for column in ("id", "label", "description", "seeds"):
        table.add_column(column, overflow="fold")
    show_maps = any(d.maps_to for d in taxonomy)
    if show_maps:
        table.add_column("maps to", overflow="fold")
    for dimension in taxonomy:
        seeds = ", ".join(f"{lang} {len(terms)}" for lang, terms in dimension.seeds.items())
        row = [dimension.id, dimension.label, dimension.description, seeds]
        if show_maps:
            row.append(", ".join(dimension.maps_to) or "-")
        table.add_row(*row)
    console().print(table)


@click.command()
@click.argument("input_path", metavar="[INPUT]", required=False, type=click.Path(dir_okay=False))
@click.option("--company", "companies", multiple=True, metavar="NAME",
              help="Company name or source::company key; repeatable. Default: every company.")
@click.option("--strategy", type=click.Choice(["all", "random", "stratified", "recent"]),
              default="stratified", show_default=True, help="How to choose the reviews.")
@click.option("-k", "k", type=click.IntRange(min=1), default=50, show_default=True,
              help="Reviews per company (a company with fewer gives all).")
@click.option("--random-state", type=int, default=0, show_default=True, help="Seed of the sample.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per company in a list.")
@click.option("--preset", default=None, help="Input layout for INPUT (default: detected).")
@database_option
def sample(input_path: str | None, companies: tuple[str, ...], strategy: str, k: int, random_state: int,
           as_json: bool, preset: str | None, database_url: str | None) -> None:
    """Print the review ids chosen for each company (the reviews the reviewer reads), from INPUT
    (any file `ingest` reads, as `review INPUT` samples it) or from the store."""
    from company_reviewer.sampling import sample_reviews

    if input_path:
        groups = _file_groups(input_path, companies, preset)
    else:
        from company_reviewer.store.repository import load_reviews_frame

        frame = load_reviews_frame(open_engine(database_url), companies=list(companies) or None)
        if frame.empty:
            raise click.ClickException("no reviews found" + (f" for {', '.join(companies)}" if companies else "")
                                       + "; ingest some with `company-reviewer ingest`")
        groups = frame.groupby("company_key", sort=False)
    results = []
    # Sorted so the output order does not depend on the order the store returns rows in.
    for key, reviews in sorted(groups, key=lambda item: str(item[0])):
        chosen = sample_reviews(reviews, k=k, strategy=strategy, random_state=random_state)
        results.append({
            "company_key": key, "company": str(reviews["company"].iloc[0]),
            "source": str(reviews["source"].iloc[0]), "n_reviews": len(reviews),
            "strategy": strategy, "k": k, "random_state": random_state, "n_sampled": len(chosen),
            "review_ids": [str(v) for v in chosen["review_id"]],
            "review_keys": [str(v) for v in chosen["review_key"]],
        })
    if as_json:
        click.echo(json.dumps(results, ensure_ascii=False, indent=2))
        return
    from rich.table import Table

    table = Table(title=f"{strategy} sample, k={k}, random state {random_state}")
    for column in ("company", "source", "reviews", "sampled", "review ids"):
        table.add_column(column, overflow="fold")
    from rich.markup import escape

    from company_reviewer.reviewer.render import display_text

    for result in results:  # names and ids are data, never Rich markup
        table.add_row(*(escape(display_text(v)) for v in (result["company"], result["source"])),
                      str(result["n_reviews"]), str(result["n_sampled"]),
                      escape(display_text(" ".join(result["review_ids"]))))
    console().print(table)


def _file_groups(input_path: str, companies: tuple[str, ...], preset: str | None) -> list:
    """(company key, reviews) per company of INPUT, grouped and ordered as `review INPUT` reads them."""
    from company_reviewer.cli.common import load_groups
    from company_reviewer.store.repository import company_key, review_key

    groups = []
    for name, reviews in load_groups(input_path, companies, preset, None):
        reviews = reviews.copy()
        reviews["review_key"] = [review_key(s, i) for s, i in zip(reviews["source"], reviews["review_id"])]
        groups.append((company_key(str(reviews["source"].iloc[0]), name), reviews))
    if not groups:
        raise click.ClickException(f"no reviews in {input_path}")
    return groups


COMMANDS: tuple[click.Command, ...] = (dimensions, sample)
