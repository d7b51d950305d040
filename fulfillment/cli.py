"""`python -m fulfillment ...`: one click group; each feature adds its commands in
`_command_modules()` so this file stays a table of contents."""

from __future__ import annotations

import importlib
import json
import logging
import os

import click

from core import log_redaction
from core.config import Settings
from core.services import Services, bootstrap


def make_services(**overrides: object) -> Services:
    return bootstrap(Settings.from_env().with_(**overrides))


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log at INFO level.")
def main(verbose: bool) -> None:
    """Voice referrals: serve the webhooks, seed the demo, run jobs."""
    logging.basicConfig(
        level=logging.INFO if verbose or os.environ.get("LOG_LEVEL") == "INFO" else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    log_redaction.install()


@main.command()
@click.option("--port", type=int, default=None, help="Overrides PORT (default 8000).")
def serve(port: int | None) -> None:
    """Serve HTTP with the embedded worker (Ctrl-C stops cleanly)."""
    from fulfillment.server import serve as run_server

    logging.getLogger().setLevel(logging.INFO)
    services = make_services(**({"port": port} if port else {}))
    run_server(services)


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
        "fulfillment.export_cli",
        "fulfillment.rewards_cli",
        "fulfillment.worker_cli",
        "fulfillment.simulate_cli",
        "fulfillment.alice_cli",
    ]


for _name in _command_modules():
    importlib.import_module(_name).register(main)
