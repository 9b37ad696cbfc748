"""``company-reviewer plugins``: what is installed, per registry kind, and where it comes from."""

from __future__ import annotations

import json

import click


@click.command()
@click.option("--kind", "kinds", multiple=True, metavar="KIND",
              help="Only this kind (repeatable): reviewers, llm_backends, presets, readers, batch_engines, "
                   "labeling_backends, label_models, taxonomies, rating_schemes, token_counters.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per plugin: kind, name, target, origin.")
def plugins(kinds, as_json):
    """List the registered plugins of every kind: name, origin (built-in or the distribution that
    registered it) and the object it points to. Add one from a package of your own with an entry
    point in the group ``company_reviewer.<kind>`` (docs/architecture.md)."""
    from company_reviewer import registry

    try:
        chosen = [registry.get_registry(kind) for kind in kinds] if kinds else list(registry.KINDS.values())
    except registry.UnknownNameError as exc:
        raise click.BadParameter(str(exc), param_hint="--kind") from exc
    if as_json:
        for kind in chosen:
            for plugin in kind.plugins():
                click.echo(json.dumps({"kind": plugin.kind, "name": plugin.name, "target": plugin.target,
                                       "origin": plugin.origin}))
        return
    for kind in chosen:
        click.echo(f"{kind.kind}  ({kind.group}): {kind.description}")
        listed = kind.plugins()
        width = max((len(p.name) for p in listed), default=0)
        for plugin in listed:
            click.echo(f"  {plugin.name.ljust(width)}  {plugin.origin:<10}  {plugin.target}")
        if not listed:
            click.echo("  (none)")


COMMANDS = [plugins]
