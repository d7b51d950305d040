"""`python -m fulfillment create-shop --name --slug --owner-email`: a shop and its owner
from the command line; prints the one-time link where the owner chooses a password."""

from __future__ import annotations

import click

from core import staff_accounts
from core.errors import FieldErrors


def register(main: click.Group) -> None:
    @main.command("create-shop")
    @click.option("--name", required=True, help="The shop's name, e.g. 'Anna's Books'.")
    @click.option("--slug", required=True, help="Lowercase letters, digits, dashes.")
    @click.option("--owner-email", required=True, help="The owner's email address.")
    @click.option("--locale", default="en-US", show_default=True)
    def create_shop(name: str, slug: str, owner_email: str, locale: str) -> None:
        """Create a shop and its owner; print the owner's one-time sign-in link."""
        from fulfillment.cli.services import make_services

        services = make_services()
        try:
            with services.db.session() as session:
                created = staff_accounts.create_shop(session, services, name=name, slug=slug,
                                                     owner_email=owner_email, locale=locale)
        except FieldErrors as exc:
            for field, message in sorted(exc.fields.items()):
                click.echo(f"{field}: {message}", err=True)
            raise SystemExit(2) from exc
        finally:
            services.close()
        click.echo(f"Shop '{created.slug}' created. The owner's one-time sign-in link "
                   f"(valid {int(staff_accounts.WELCOME_TTL.total_seconds() // 3600)} h):")
        click.echo(created.link)
