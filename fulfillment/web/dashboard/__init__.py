"""The shop's pages at /dashboard (same staff accounts as the console): the KPIs with their
definitions, splits, charts and a date range (support may read), a CSV with the same
definitions, and downloads of the shop's Alexa, Dialogflow and Alice packages (manager), and a
customer's data export (with the erasure requests waiting)."""

from __future__ import annotations

import csv
import io
import json
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, render_template, request
from flask.typing import ResponseReturnValue

from core import analytics, privacy
from core.accounts import Role
from core.assistants import ASSISTANTS, MCP_HOST_LABELS
from fulfillment.cli.export import shop_voice_info
from fulfillment.context import services
from fulfillment.web import charts, i18n
from fulfillment.web.auth import require_role, shop_for_staff, visible_shops
from fulfillment.web.i18n import N_
from fulfillment.web.nav import PLATFORM_NAMES
from voice.exports import EXPORTERS, exporter

# KPIs split by whose voice users shared (core.assistants' `speaker`): "google" is Dialogflow.
# KPIs by assistant: the speakers and the MCP hosts (core.assistants.ATTRIBUTED)
SPEAKER_LABELS = {**{a.speaker: a.label for a in ASSISTANTS}, **MCP_HOST_LABELS}
bp = Blueprint("dashboard", __name__, url_prefix="/dashboard", template_folder="templates")


def _kpis(shop_id: int, args: Any) -> analytics.Kpis:
    return analytics.report(services(), shop_id, start=args.get("from"),  # 422 naming it
                            end=args.get("to"), interval=args.get("interval") or "day")


@bp.get("")
@bp.get("/")
@require_role(Role.SUPPORT)
def index() -> ResponseReturnValue:
    shops = visible_shops()
    with services().db.session() as db:
        waiting = {shop.id: len(privacy.erasure_requests(
            db, shop.id, status=privacy.ErasureStatus.REQUESTED, limit=1000)) for shop in shops}
    rows = [(shop, _kpis(shop.id, {}), waiting[shop.id]) for shop in shops]
    return render_template("dashboard/index.html", rows=rows, platforms=sorted(EXPORTERS),
                           names=PLATFORM_NAMES)


def _charts(data: analytics.Kpis) -> dict[str, Any]:
    t = i18n.gettext
    labels = [b.start.isoformat() for b in data.series]
    return {
        "funnel": charts.bars([(t(s["step"]), s["count"]) for s in data.funnel],
                              title=t(N_("Funnel")), unit=t(N_("count"))),
        "series": charts.lines(labels, [(t(name), [getattr(b, name) for b in data.series])
                                        for name in ("shares", "clicks", "signups",
                                                     "conversions")],
                               title=t(N_("Over time (per %(interval)s)")) % {
                                   "interval": t(data.interval)},
                               x_label=t(data.interval) + " (UTC)", y_label=t(N_("count"))),
        "channel_shares": charts.bars([(t(k), v.shares) for k, v in data.by_channel.items()],
                                      title=t(N_("Shares by channel")), unit=t(N_("shares"))),
        "assistant_shares": charts.bars([(SPEAKER_LABELS.get(k) or t(k), v.shares)
                                         for k, v in data.by_assistant.items()],
                                        title=t(N_("Shares by assistant")), unit=t(N_("shares"))),
    }


@bp.get("/<slug>")
@require_role(Role.SUPPORT)
def shop_kpis(slug: str) -> ResponseReturnValue:
    shop = shop_for_staff(slug)
    data = _kpis(shop.id, request.args)
    return render_template("dashboard/shop.html", shop=shop, k=data, charts=_charts(data),
                           definitions=analytics.DEFINITIONS, args=request.args,
                           names=PLATFORM_NAMES, speakers=SPEAKER_LABELS)


def csv_rows(data: analytics.Kpis) -> list[list[Any]]:
    """metric, value, definition: the page's numbers under the page's definitions."""
    d = analytics.DEFINITIONS

    def pct(value: float | None) -> Any:
        return "" if value is None else value

    rows: list[list[Any]] = [
        ["range.from", data.period.start.isoformat() if data.period.start else "", ""],
        ["range.to", data.period.end.isoformat() if data.period.end else "", ""],
        ["shares", data.shares_total, d["shares"]],
        *[[f"shares.{c}", n, ""] for c, n in sorted(data.shares.items())],
        ["clicks", data.clicks, d["clicks"]],
        ["click_through_rate", pct(data.click_through_rate), d["click_through_rate"]],
        ["signups", data.signups, d["signups"]],
        ["flagged", data.flagged, "Signups waiting for a person's review."],
        ["signup_rate", pct(data.signup_rate), d["signup_rate"]],
        ["conversions", data.conversions, d["conversions"]],
        ["conversion_rate", pct(data.conversion_rate), d["conversion_rate"]],
        ["revenue_minor", data.revenue_minor, d["revenue_minor"]],
        ["refunded_minor", data.refunded_minor, "Refunded on those orders, minor units."],
        *[[f"rewards_minor.{k}", v, d["rewards_minor"] if k == "net" else ""]
          for k, v in data.rewards_minor.items()],
    ]
    for group, splits in (("by_channel", data.by_channel), ("by_assistant", data.by_assistant)):
        for key, split in splits.items():
            rows += [[f"{group}.{key}.shares", split.shares, ""],
                     [f"{group}.{key}.clicks", split.clicks, ""],
                     [f"{group}.{key}.click_through_rate", pct(split.click_through_rate), ""]]
    for bucket in data.series:
        for name in ("shares", "clicks", "signups", "conversions"):
            rows.append([f"{data.interval}.{bucket.start.isoformat()}.{name}",
                         getattr(bucket, name), ""])
    for ref in data.top_referrers:
        rows += [[f"top_referrers.{ref.customer}.signups", ref.signups, ""],
                 [f"top_referrers.{ref.customer}.conversions", ref.conversions, ""],
                 [f"top_referrers.{ref.customer}.revenue_minor", ref.revenue_minor, ""]]
    return rows


def _csv_cell(value: Any) -> Any:
    """A cell a spreadsheet will not run as a formula (customer ids come from shops)."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") and \
        not text.lstrip("-").replace(".", "", 1).isdigit() else value


@bp.get("/<slug>/customer-export")
@require_role(Role.MANAGER)  # personal data: exports need a manager
def customer_export(slug: str) -> ResponseReturnValue:
    """The same document as GET /api/v1/customers/{id}/export, as a download."""
    shop = shop_for_staff(slug)
    external_id = (request.args.get("customer") or "").strip()[:128]
    document = privacy.export(services(), shop.id, external_id)
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in external_id)
    return Response(json.dumps(document, ensure_ascii=False, indent=2),
                    mimetype="application/json", headers={
                        "Content-Disposition": f"attachment; filename={slug}-{safe}-data.json"})


@bp.get("/<slug>/kpis.csv")
@require_role(Role.MANAGER)
def kpis_csv(slug: str) -> ResponseReturnValue:
    shop = shop_for_staff(slug)
    data = _kpis(shop.id, request.args)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["metric", "value", "definition"])
    for row in csv_rows(data):
        writer.writerow([_csv_cell(c) for c in row])
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename={shop.slug}-kpis.csv"})


@bp.get("/<slug>/export/<platform>.zip")
@require_role(Role.MANAGER)
def export(slug: str, platform: str) -> ResponseReturnValue:
    """The assistant's package as its console or CLI imports it: an agent the exporter
    zipped itself (Dialogflow's "Import/Restore from zip") is sent as it is, never inside
    another zip; a project folder (the ASK CLI's, Alice's) is zipped. A package Alexa could
    not call (http://, a private address) or that breaks the platform's rules is a 422 page
    saying what to do, never a 500."""
    shop = shop_for_staff(slug)
    if platform not in EXPORTERS:
        abort(404)
    info = shop_voice_info(services(), shop.slug)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        try:
            exporter(platform)(info, root)
        except ValueError as exc:
            abort(422, description=str(exc))
        zips = sorted(root.glob("*.zip"))
        if zips:
            body = zips[0].read_bytes()
        else:
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for path in sorted(root.rglob("*")):
                    if path.is_file():
                        archive.write(path, path.relative_to(root))
            body = buffer.getvalue()
    return Response(body, mimetype="application/zip", headers={
        "Content-Disposition": f"attachment; filename={shop.slug}-{platform}.zip"})


@bp.app_template_filter("money")
def money(minor: int, currency: str) -> str:
    """Minor units shown in the currency's own precision (JPY has none, KWD three)."""
    from babel.numbers import format_currency, get_currency_precision

    digits = get_currency_precision(currency)
    return format_currency(minor / 10**digits, currency, locale=i18n.babel_locale())


@bp.app_template_filter("pct")
def pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"
