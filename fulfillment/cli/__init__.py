"""`python -m fulfillment ...`: one click group; each feature adds its commands in
`_command_modules()` so this file stays a table of contents.

`--embedded` (what `make run` passes) is the local default: SQLite under var/, random
SECRET_KEY/HASH_KEY made once in var/secrets.json, sandbox trust on, and `serve` as one
process with the jobs in threads. Without it every command needs its secrets from the
environment and `serve` is the production server."""

from __future__ import annotations

import importlib
import json
import logging
import os

import click

from core import log_redaction
from core.config import Settings
from fulfillment.cli.services import CliOptions, cli_settings, is_embedded, make_services


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log at INFO level.")
@click.option("--embedded", is_flag=True,
              help="The local default (`make run`): secrets kept in var/, sandbox trust on, "
                   "one-process server with the jobs inside.")
@click.pass_context
def main(ctx: click.Context, verbose: bool, embedded: bool) -> None:
    """Voice referrals: serve the webhooks, seed the demo, run jobs."""
    given = ctx.obj if isinstance(ctx.obj, CliOptions) else CliOptions()
    ctx.obj = CliOptions(embedded=embedded, clock=given.clock)
    logging.basicConfig(
        level=logging.INFO if verbose or os.environ.get("LOG_LEVEL") == "INFO" else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    log_redaction.install()


def _split_bind(bind: str) -> tuple[str, int]:
    host, _, port = bind.rpartition(":")
    if not host or not port.isdecimal():
        raise click.BadParameter(f"expected HOST:PORT, got {bind!r}", param_hint="--bind")
    return host.strip("[]"), int(port)


@main.command()
@click.option("--port", type=int, default=None, help="Overrides PORT (default 8000).")
@click.option("--bind", default=None, help="HOST:PORT to listen on (default HOST:PORT).")
@click.option("--workers", type=int, default=None,
              help="Web processes (default WEB_CONCURRENCY, else 2). Not with --embedded.")
@click.option("--threads", type=int, default=4, show_default=True,
              help="Threads per web process.")
@click.option("--timeout", type=int, default=30, show_default=True,
              help="Seconds before a stuck web process is replaced.")
def serve(port: int | None, bind: str | None, workers: int | None, threads: int,
          timeout: int) -> None:
    """Serve HTTP: gunicorn with N workers; with --embedded, one process with the outbox
    worker and jobs in threads (Ctrl-C stops cleanly)."""
    overrides: dict[str, object] = {"port": port} if port else {}
    if bind:
        overrides["host"], overrides["port"] = _split_bind(bind)
    logging.getLogger().setLevel(logging.INFO)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # the readiness probe's set-up
    if is_embedded():
        if workers not in (None, 1):
            raise click.UsageError("--workers needs the production server: drop --embedded")
        from fulfillment.serving.embedded import serve as run_embedded

        run_embedded(make_services(**overrides))
        return
    from fulfillment.serving import gunicorn as production

    settings = cli_settings(**overrides)
    count = workers or int(os.environ.get("WEB_CONCURRENCY") or 2)
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    production.run(settings, f"{host}:{settings.port}", count, threads, timeout)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def demo(as_json: bool) -> None:
    """Create (idempotently) the demo shop and its customer Alex."""
    from core import demo as demo_seed

    services = make_services()
    try:
        data = demo_seed.seed(services)
    finally:
        services.close()
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False))
        return
    click.echo(f"Demo shop '{data['shop']}' ready. Alex's code: {data['code']}")
    click.echo(f"  invite link: {data['link']}")
    click.echo(f"  QR code:     {data['qr_png']}")
    click.echo(f"  console:     {data['console']}  ({data['staff']['email']} / "
               f"{data['staff']['password']})")


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply Alembic migrations to DATABASE_URL."""
    from core.migrate import upgrade

    url = Settings.from_env().database_url
    upgrade(url, revision)
    click.echo(f"database at {revision}: {url.split('@')[-1]}")


def _command_modules() -> list[str]:
    return [
        "fulfillment.cli.export",
        "fulfillment.cli.rewards",
        "fulfillment.cli.worker",
        "fulfillment.cli.simulate",
        "fulfillment.cli.alice",
        "fulfillment.cli.jobs",
        "fulfillment.cli.nlu_eval",
        "fulfillment.cli.engagement",
        "fulfillment.cli.stores",
        "fulfillment.cli.accounts",
    ]


for _name in _command_modules():
    importlib.import_module(_name).register(main)
