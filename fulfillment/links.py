"""The friend's side: `/r/<code>` redirects and counts; `/qr/<code>.png|.svg` draws."""

from __future__ import annotations

import hashlib

from flask import Blueprint, Response, abort, redirect, render_template, request

from core import links, qr, referrals
from core.codes import CodeChecksumError, InvalidCode
from core.errors import NotFound
from fulfillment.context import services

bp = Blueprint("links", __name__)
QR_MAX_AGE = 86_400


def _directory() -> referrals.CodeDirectory:
    return services().extras["code_directory"]


def _not_found(exc: InvalidCode | NotFound) -> Response:
    typo = isinstance(exc, CodeChecksumError)
    page = render_template("invite_not_found.html", typo=typo)
    return Response(page, status=404, mimetype="text/html")


@bp.get("/r/<code>")
def follow(code: str) -> Response:
    try:
        target = _directory().resolve(code)
    except (InvalidCode, NotFound) as exc:
        return _not_found(exc)
    channel = links.channel_or_default(request.args.get("c"))
    referrals.record_click(
        services(), target, channel=channel,
        ip=request.headers.get("X-Forwarded-For", request.remote_addr or "").split(",")[0].strip(),
        user_agent=request.user_agent.string,
    )
    response = redirect(links.landing_url(target.landing_url, target.code, channel), 302)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/qr/<code>.<fmt>")
def qr_image(code: str, fmt: str) -> Response:
    if fmt not in {"png", "svg"}:
        abort(404)
    try:
        target = _directory().resolve(code)
    except (InvalidCode, NotFound):
        abort(404, description="No invite with this code.")
    box = qr.clamp_box(request.args.get("size", qr.DEFAULT_BOX))
    body = qr.png(target.link, box) if fmt == "png" else qr.svg(target.link, box)
    etag = hashlib.sha1(body, usedforsecurity=False).hexdigest()
    if request.if_none_match.contains(etag):
        return Response(status=304, headers={"ETag": f'"{etag}"'})
    response = Response(body, mimetype="image/png" if fmt == "png" else "image/svg+xml")
    response.headers["Cache-Control"] = f"public, max-age={QR_MAX_AGE}"
    response.set_etag(etag)
    return response


@bp.get("/demo/landing")
def demo_landing() -> str:
    """The demo shop's landing page, so a click in the demo ends somewhere real."""
    return render_template("demo_landing.html", ref=request.args.get("ref", ""),
                           medium=request.args.get("utm_medium", ""))
