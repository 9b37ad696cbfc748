"""``company-reviewer batch``: review many companies, checkpointed, locally or on Ray."""

from __future__ import annotations

import click

from company_reviewer.cli.common import RegistryName, database_option


@click.command()
@click.argument("input_path", metavar="INPUT", required=False, type=click.Path(dir_okay=False))
@click.option("--company", "companies", multiple=True,
              help="Only this company (repeatable); without INPUT: from the store.")
@click.option("--all-stored", is_flag=True, help="Without INPUT: every company in the store.")
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="JSONL output, one company review per line (written when the run completes).")
@click.option("--engine", default="local", show_default=True, type=RegistryName("batch_engines"),
              help="local, ray or a plugin's.")
@click.option("--ray-address", default=None, envvar="RAY_ADDRESS",
              help="Ray cluster to join (auto, ray://head:10001); default: start Ray on this machine.")
@click.option("--workers", type=click.IntRange(1), default=None, help="Ray actors (default: CPUs available).")
@click.option("--run-name", default=None,
              help="Checkpoint name; default derived from input and parameters, so the same command resumes.")
@click.option("--model", default=None, help="Model: embedded (default), baseline:tfidf, llm:llamacpp, ...")
@click.option("--option", "options", multiple=True, metavar="KEY=VALUE", help="Model option (repeatable).")
@click.option("--max-reviews", default=50, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--sample", default="stratified", show_default=True,
              type=click.Choice(["stratified", "random", "recent", "all"]))
@click.option("--preset", default=None, help="Input layout for INPUT (default: detected).")
@click.option("--random-state", default=0, show_default=True)
@click.option("--taxonomy", "taxonomy_spec", default=None, metavar="FILE|NAME",
              help="Review along these dimensions: a built-in (default, kununu, indeed, hotel) or a taxonomy YAML "
                   "(embedded model only). Its content is part of the run, so a changed file starts a new run.")
@database_option
def batch(input_path, companies, all_stored, out, engine, ray_address, workers, run_name, model, options,
          max_reviews, sample, preset, random_state, taxonomy_spec, database_url):
    """Review every company of INPUT (or of the store) and write JSONL, resumably.

    Each company's result is committed to the store (--database) as soon as it exists; killing the
    run and rerunning the same command skips finished companies and writes no duplicates. Use
    PostgreSQL when Ray workers on several machines write.
    """
    from company_reviewer.batch.checkpoint import RunMismatchError
    from company_reviewer.batch.runner import run_batch
    from company_reviewer.batch.tasks import BatchSpec
    from company_reviewer.cli.common import load_groups, parse_options
    from company_reviewer.cli.predict import taxonomy_or_exit
    from company_reviewer.taxonomy import is_default

    taxonomy = taxonomy_or_exit(taxonomy_spec)
    document = None if taxonomy is None or is_default(taxonomy) else taxonomy.to_dict()

    if not input_path and all_stored:
        from company_reviewer.cli.common import open_engine
        from company_reviewer.store.repository import list_companies

        companies = tuple(f"{s}::{c}" for s, c in list_companies(open_engine(database_url))[["source", "company"]]
                          .itertuples(index=False, name=None))
    groups = load_groups(input_path, companies, preset, database_url)
    spec = BatchSpec(model=model, options=parse_options(options), max_reviews=max_reviews, sample=sample,
                     random_state=random_state, taxonomy=document)
    try:
        summary = run_batch(groups, spec, engine=engine, database_url=database_url, run_name=run_name, out=out,
                            ray_address=ray_address, workers=workers)
    except (RunMismatchError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{summary.run_name}: {summary.total} companies ({summary.already_done} already done, "
               f"{summary.reviewed} reviewed in {summary.seconds:.1f} s, "
               f"{summary.companies_per_minute:.0f}/min); wrote {summary.exported} lines to {out}", err=True)


COMMANDS = [batch]
