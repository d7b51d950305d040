"""`python -m fulfillment stores ...`: connect a shop's store (until the onboarding page
exists) and run the store job (webhook registration, discounts, reward codes). The
embedded server runs the same job every few seconds."""

from __future__ import annotations

import json
import logging
import signal
import threading
from typing import Any

import click

from core.errors import DomainError
from core.services import Services
from core.stores import jobs
from fulfillment.cli.services import make_services

log = logging.getLogger(__name__)


def register(main: click.Group) -> None:
    @main.group("stores")
    def stores_group() -> None:
        """The shop's online store (Shopify, WooCommerce)."""

    @stores_group.command("connect")
    @click.option("--shop", required=True, help="The shop's slug.")
    @click.option("--platform", type=click.Choice(["shopify", "woocommerce"]), required=True)
    @click.option("--domain", "store_url", required=True,
                  help="Shopify: example.myshopify.com; WooCommerce: https://shop.example")
    @click.option("--access-token", envvar="SHOPIFY_ACCESS_TOKEN", default="",
                  help="Shopify Admin API access token (or SHOPIFY_ACCESS_TOKEN).")
    @click.option("--consumer-key", envvar="WC_CONSUMER_KEY", default="")
    @click.option("--consumer-secret", envvar="WC_CONSUMER_SECRET", default="")
    @click.option("--webhook-secret", envvar="STORE_WEBHOOK_SECRET", default="",
                  help="Shopify: the app's API secret; WooCommerce: made for you if empty.")
    @click.option("--api-version", default="2026-07", show_default=True)
    @click.option("--gift-cards", is_flag=True, help="Issue referrer rewards as gift cards.")
    def connect(shop: str, platform: str, store_url: str, access_token: str,
                consumer_key: str, consumer_secret: str, webhook_secret: str,
                api_version: str, gift_cards: bool) -> None:
        """Connect (or reconnect) a store; secrets are sealed, webhooks registered by the
        job."""
        from core.stores import connections

        services = make_services(embedded_worker=False)
        try:
            _connect(services, shop, connections.ConnectRequest(
                platform=platform, store_url=store_url, webhook_secret=webhook_secret,
                access_token=access_token, consumer_key=consumer_key,
                consumer_secret=consumer_secret, api_version=api_version,
                gift_card_rewards=gift_cards))
        except DomainError as exc:
            raise click.ClickException(f"{exc.code}: {exc.message}") from exc
        finally:
            services.close()

    def _connect(services: Services, shop: str, req: Any) -> None:
        from core import referrals
        from core.stores import connections

        with services.db.session() as session:
            found = referrals.shop_by_slug(session, shop)
            click.echo(json.dumps(connections.connect(session, services, found, req).as_dict()))

    @stores_group.command("shopify-app-toml")
    @click.option("--name", default="Voice referrals", show_default=True,
                  help="The app's name as merchants see it.")
    def shopify_app_toml(name: str) -> None:
        """Print shopify.app.toml for this deployment (from BASE_URL, SHOPIFY_API_KEY and
        SHOPIFY_SCOPES): `shopify app deploy` reads it."""
        from core.stores import shopify_app

        services = make_services(embedded_worker=False)
        try:
            click.echo(shopify_app.app_toml(services, name=name), nl=False)
        finally:
            services.close()

    @stores_group.command("inbox")
    @click.option("--shop", required=True, help="The shop's slug.")
    def inbox(shop: str) -> None:
        """The shop's store deliveries that need a person (refused, dead, waiting), as JSON
        lines."""
        from core import referrals
        from core.stores import inbound

        services = make_services(embedded_worker=False)
        try:
            with services.db.session() as session:
                shop_id = referrals.shop_by_slug(session, shop).id
            for row in inbound.problems(services, shop_id):
                click.echo(json.dumps(row.as_dict()))
        except DomainError as exc:
            raise click.ClickException(f"{exc.code}: {exc.message}") from exc
        finally:
            services.close()

    @stores_group.command("run")
    @click.option("--once", is_flag=True, help="Run what is due now, then exit.")
    @click.option("--interval", default=5.0, show_default=True)
    def run(once: bool, interval: float) -> None:
        """Call the stores: register webhooks, create discounts, issue reward codes."""

        services = make_services(embedded_worker=False)
        try:
            if once:
                result = jobs.run_due(services)
                click.echo(f"done {result.done}, retried {result.retried}, "
                           f"failed {result.failed}")
                return
            stop = threading.Event()
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda *_: stop.set())
            while not stop.is_set():
                try:
                    jobs.run_due(services)
                except Exception:  # a database outage must not end the job
                    log.exception("store jobs pass failed")
                stop.wait(interval)
        finally:
            services.close()
