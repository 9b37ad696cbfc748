"""``company-reviewer serve`` (API and web UI on one port) and ``company-reviewer keys`` (API keys)."""

from __future__ import annotations

import click

from company_reviewer.cli.common import database_option, open_engine


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0: all).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--open-access", is_flag=True,
              help="No API keys (loopback addresses only): for one person on their own machine.")
@click.option("--access-log/--no-access-log", default=True, show_default=True,
              help="Log every request to stdout (uvicorn's access log).")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Server processes sharing the port. Each has its own model copy, review cache and "
                   "rate limits (a key may make WORKERS times its rate); jobs and the log are shared.")
@click.option("--allow-model", "allow_models", multiple=True, metavar="SPEC",
              help="A model requests may name besides the built-ins and registry aliases, e.g. "
                   "llm:llamacpp:/models/qwen.gguf (repeatable; adds to $COMPANY_REVIEWER_ALLOWED_MODELS). "
                   "Any other spec is refused.")
@click.option("--metrics-access", type=click.Choice(["key", "loopback", "open"]), default=None,
              help="Who may read /metrics: an API key holder (default), loopback clients, or anyone. "
                   "Default: $COMPANY_REVIEWER_METRICS_ACCESS, else key.")
@database_option
def serve(host, port, open_access, access_log, workers, allow_models, metrics_access, database_url):
    """Serve the REST API (under /v1, docs at /docs) and the web UI (at /) on one port.

    Clients send `Authorization: Bearer KEY`; create keys with `company-reviewer keys create NAME`.
    """
    from company_reviewer.serve.config import LOOPBACK_HOSTS, ServeSettings
    from company_reviewer.serve.server import run_server

    if open_access and host not in LOOPBACK_HOSTS:
        raise click.UsageError(f"--open-access serves without keys, so only on a loopback address "
                               f"({', '.join(sorted(LOOPBACK_HOSTS))}), not {host}")
    engine = open_engine(database_url)  # a clear message now if the store cannot be opened
    settings = ServeSettings.from_env(database_url=engine.url.render_as_string(hide_password=False),
                                      open_access=open_access)
    settings = settings.replace(allowed_models=tuple(dict.fromkeys([*settings.allowed_models, *allow_models])),
                                metrics_access=metrics_access or settings.metrics_access)
    access = "open access (no keys)" if open_access else "API keys required"
    click.echo(f"serving on http://{host}:{port}/ (UI), /v1 (API), /docs (OpenAPI); {access}"
               f"{f'; {workers} worker processes' if workers > 1 else ''}", err=True)
    run_server(settings, host=host, port=port, workers=workers, access_log=access_log)


@click.group()
def keys():
    """API keys: create, list, revoke (only a hash of each key is stored)."""


@keys.command("create")
@click.argument("name")
@database_option
def keys_create(name, database_url):
    """Create a key for NAME; the key is printed once, alone on the last line."""
    from company_reviewer.serve.auth import ApiKeyError, create_key

    try:
        key = create_key(open_engine(database_url), name)
    except ApiKeyError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"created API key {name!r}; store it now, it cannot be shown again. Use it as "
               "`Authorization: Bearer KEY`:")
    click.echo(key)


@keys.command("list")
@database_option
def keys_list(database_url):
    """Keys by name, prefix, creation and revocation time."""
    from company_reviewer.serve.auth import list_keys

    found = list_keys(open_engine(database_url))
    if not found:
        click.echo("no API keys; create one with `company-reviewer keys create NAME`")
        return
    for key in found:
        state = f"revoked {key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "active"
        click.echo(f"{key.name}\t{key.prefix}...\tcreated {key.created_at:%Y-%m-%d %H:%M}\t{state}")


@keys.command("revoke")
@click.argument("name")
@database_option
def keys_revoke(name, database_url):
    """Revoke NAME's key (servers stop accepting it within seconds)."""
    from company_reviewer.serve.auth import ApiKeyError, revoke_key

    try:
        revoke_key(open_engine(database_url), name)
    except ApiKeyError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"revoked the key {name!r}")


COMMANDS = [serve, keys]
