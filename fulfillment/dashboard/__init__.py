"""The shop's page at /dashboard (same staff accounts as the console): KPIs, the review
queue size, CSV export, downloads of the shop's Alexa, Dialogflow and Alice packages, and a
customer's data export (with the erasure requests waiting)."""

from __future__ import annotations

import csv
import io
import json
import tempfile
import zipfile
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from core import analytics, privacy
from core.accounts import Role
from core.models import Shop
from fulfillment.context import services
from fulfillment.export_cli import shop_voice_info
from fulfillment.web.auth import require_role
from voice.exports import EXPORTERS, exporter

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard", template_folder="templates")


def _visible_shops() -> list[Shop]:
    from fulfillment.console import _staff

    staff = _staff()
    with services().db.session() as db:
        query = select(Shop).order_by(Shop.name)
        if staff.shop_id is not None:
            query = query.where(Shop.id == staff.shop_id)
        shops = list(db.scalars(query))
        db.expunge_all()
        return shops


def _shop(slug: str) -> Shop:
    for shop in _visible_shops():
        if shop.slug == slug:
            return shop
    abort(403)


@bp.before_request
def _signed_in() -> ResponseReturnValue | None:
    if "staff_id" not in session:
        return redirect(url_for("console.login"))
    return None


@bp.get("")
@bp.get("/")
@require_role(Role.SUPPORT)
def index() -> ResponseReturnValue:
    rows = []
    with services().db.session() as db:
        for shop in _visible_shops():
            waiting = len(privacy.erasure_requests(db, shop.id, status="requested", limit=1000))
            rows.append((shop, analytics.kpis(db, shop.id), waiting))
    return render_template("dashboard/index.html", rows=rows, platforms=sorted(EXPORTERS))


@bp.get("/<slug>/customer-export")
@require_role(Role.MANAGER)  # personal data: exports need a manager
def customer_export(slug: str) -> ResponseReturnValue:
    """The same document as GET /api/v1/customers/{id}/export, as a download."""
    shop = _shop(slug)
    external_id = (request.args.get("customer") or "").strip()[:128]
    svc = services()
    with svc.db.session() as db:
        document = privacy.export_customer(db, shop.id, external_id, svc.settings.hash_key,
                                           svc.clock())
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in external_id)
    return Response(json.dumps(document, ensure_ascii=False, indent=2),
                    mimetype="application/json", headers={
                        "Content-Disposition": f"attachment; filename={slug}-{safe}-data.json"})


@bp.get("/<slug>/kpis.csv")
@require_role(Role.MANAGER)
def kpis_csv(slug: str) -> ResponseReturnValue:
    shop = _shop(slug)
    with services().db.session() as db:
        data = analytics.kpis(db, shop.id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["metric", "value"])
    for channel, count in sorted(data.shares.items()):
        writer.writerow([f"shares.{channel}", count])
    for key in ("clicks", "signups", "flagged", "conversions", "revenue_minor"):
        writer.writerow([key, getattr(data, key)])
    writer.writerow(["conversion_rate", data.conversion_rate if data.conversion_rate is not None
                     else ""])
    for status, amount in sorted(data.rewards_minor_by_status.items()):
        writer.writerow([f"rewards_minor.{status}", amount])
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename={slug}-kpis.csv"})


@bp.get("/<slug>/export/<platform>.zip")
@require_role(Role.MANAGER)
def export(slug: str, platform: str) -> ResponseReturnValue:
    shop = _shop(slug)
    if platform not in EXPORTERS:
        abort(404)
    info = shop_voice_info(services(), shop.slug)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        exporter(platform)(info, root)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(root.rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(root))
    return Response(buffer.getvalue(), mimetype="application/zip", headers={
        "Content-Disposition": f"attachment; filename={slug}-{platform}.zip"})
