"""The ``company-reviewer`` command: a thin layer over the library, grouped by lifecycle noun.

Each submodule defines plain click commands; this module only assembles them, so importing the CLI
stays cheap (heavy libraries are imported inside the commands that need them).
"""

from __future__ import annotations

import click

from company_reviewer import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="company-reviewer")
def main() -> None:
    """Structured company reviews from employee reviews (12 dimensions, ratings, quoted evidence)."""


def _register() -> None:
    from company_reviewer.cli import (
        batch,
        classify,
        data,
        evaluate,
        finetune,
        labeling,
        monitor,
        plugins,
        predict,
        serve,
        taxonomy,
        train,
        training_data,
    )

    for module in (data, training_data, labeling, train, predict, classify, batch, evaluate, finetune, serve, monitor,
                   plugins, taxonomy):
        for command in module.COMMANDS:
            main.add_command(command)


_register()
