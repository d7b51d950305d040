"""`python -m fulfillment export-models <platform> --shop SLUG --out DIR`."""

from __future__ import annotations

from pathlib import Path

import click

from core import assistant_setup, referrals
from core.assistants import ASSISTANTS
from core.services import Services
from fulfillment.cli.services import make_services
from voice.exports import EXPORTERS, ShopVoiceInfo, exporter


def shop_voice_info(services: Services, slug: str) -> ShopVoiceInfo:
    with services.db.session() as session:
        shop = referrals.shop_by_slug(session, slug)
        names = dict(shop.setting("invocation_names") or {})
        if shop.invocation_name:
            names.setdefault(shop.locale.split("-")[0], shop.invocation_name)
        return ShopVoiceInfo(
            slug=shop.slug, name=shop.name, base_url=services.base_url,
            invocation_names=names,
            skill_ids={a.name: str(shop.setting(a.skill_id_setting)) for a in ASSISTANTS
                       if a.skill_id_setting and shop.setting(a.skill_id_setting)},
            default_locale=shop.locale, timezone=shop.timezone or "UTC",
            path_tokens={a.name: token for a in ASSISTANTS if a.path_token and (
                token := assistant_setup.path_token(dict(shop.settings or {}), services.box,
                                                    a.name))},
        )


def register(main: click.Group) -> None:
    @main.command("export-models")
    @click.argument("platform", type=click.Choice(sorted(EXPORTERS)))
    @click.option("--shop", "slug", required=True, help="The shop's slug, e.g. demo.")
    @click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path))
    def export_models(platform: str, slug: str, out: Path) -> None:
        """Write the shop's voice model for a platform's console or CLI."""

        services = make_services()
        try:
            info = shop_voice_info(services, slug)
        except Exception as exc:  # unknown shop: say so, exit 1
            raise click.ClickException(str(exc)) from exc
        finally:
            services.close()
        try:
            written = exporter(platform)(info, out)
        except ValueError as exc:
            raise click.ClickException(f"the model is not valid for {platform}: {exc}") from exc
        for path in written:
            click.echo(str(path))
