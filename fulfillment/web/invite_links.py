"""The friend's side: `/r/<code>` counts the click, then shows the friend's page (a shop with
no landing page of its own: every new shop) or redirects to the shop's landing page;
`/qr/<code>.png|.svg` draws; `/brand/<slug>.css` carries the shop's colour (CSP: no inline
style)."""

from __future__ import annotations

import hashlib
from functools import lru_cache

from flask import Blueprint, Response, abort, render_template, request

from core import friend_offer, links, qr, referrals
from core.codes import CodeChecksumError, InvalidCode
from core.errors import NotFound
from fulfillment.context import services
from fulfillment.web.auth import public
from voice.friend_page import choose_language, friend_words, not_found_words

bp = Blueprint("links", __name__)
QR_MAX_AGE = 86_400
QR_TYPES = {"png": "image/png", "svg": "image/svg+xml"}


def _directory() -> referrals.CodeDirectory:
    return services().codes


def _accepted() -> list[str]:
    return [lang for lang, _quality in request.accept_languages]


def _not_found(exc: InvalidCode | NotFound) -> Response:
    typo = isinstance(exc, CodeChecksumError)
    words = not_found_words(_accepted(), typo=typo)
    page = render_template("invite_not_found.html", typo=typo, words=words, lang=words.lang)
    return Response(page, status=404, mimetype="text/html")


def _friend_page(target: referrals.CodeTarget) -> Response:
    """The friend's page: who invited them, the offer, the code, the QR, the shop button."""
    offer = friend_offer.friend_offer(services(), target.code)
    if offer is None:  # erased between the lookup and now
        return _not_found(NotFound("No invite with this code."))
    words = friend_words(offer, choose_language(offer, _accepted()))
    # Absolute URLs for link previews from the shop's link base, never from the request's
    # Host header (a forged Host must not end up in a preview).
    base = target.link.split("/r/", 1)[0]
    image = offer.logo_url or links.qr_url(base, offer.code, "png")
    page = render_template("friend.html", offer=offer, words=words, lang=words.lang,
                           page_url=links.invite_link(base, offer.code, "web"), image=image,
                           qr=links.qr_url("", offer.code, "svg"))
    # Referrer-Policy stays the site's same-origin: the shop never sees this page's URL.
    return Response(page, headers={"Cache-Control": "no-store"}, mimetype="text/html")


@bp.get("/r/<code>")
@public("the friend's invite link and QR image: anyone with the code")
def follow(code: str) -> Response:
    """Hot path: memory only. The click is queued and written after the answer."""
    try:
        target = _directory().resolve_fast(code)
    except (InvalidCode, NotFound) as exc:
        return _not_found(exc)
    channel = links.channel_or_default(request.args.get("c"))
    referrals.record_click(
        services(), target, channel=channel,
        # The client's address (behind TRUSTED_PROXIES too): an X-Forwarded-For that no
        # trusted proxy wrote is anyone's to forge.
        ip=request.remote_addr,
        user_agent=request.headers.get("User-Agent", ""),
        assistant=request.args.get("a"),
    )
    if friend_offer.ours(target.landing_url, services().base_url):
        return _friend_page(target)
    return Response(status=302, headers={
        "Location": target.landing_for(channel),
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
    })


@lru_cache(maxsize=4096)
def _rendered(link: str, box: int, fmt: str) -> tuple[bytes, str]:
    """Image bytes and their ETag, computed once per link, size and format."""
    body = qr.png(link, box) if fmt == "png" else qr.svg(link, box)
    return body, '"' + hashlib.sha1(body, usedforsecurity=False).hexdigest() + '"'


@bp.get("/qr/<code>.<fmt>")
@public("the friend's invite link and QR image: anyone with the code")
def qr_image(code: str, fmt: str) -> Response:
    if fmt not in QR_TYPES:
        abort(404)
    try:
        target = _directory().resolve_fast(code)
    except (InvalidCode, NotFound):
        abort(404, description="No invite with this code.")
    size = request.args.get("size")
    box = qr.clamp_box(size) if size else qr.DEFAULT_BOX
    body, etag = _rendered(target.link, box, fmt)
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={QR_MAX_AGE}"}
    if etag in request.headers.get("If-None-Match", ""):
        return Response(status=304, headers=headers)
    return Response(body, headers=headers, content_type=QR_TYPES[fmt])


@bp.get("/brand/<slug>.css")
@public("a shop's brand colour: public by nature, shown on every friend page")
def brand_css(slug: str) -> Response:
    colour = friend_offer.brand_colour_of(services(), slug)
    return Response(f":root {{ --brand: {colour}; }}\n", mimetype="text/css",
                    headers={"Cache-Control": "public, max-age=300"})


@bp.get("/demo/landing")
@public("the demo shop's landing page: no data")
def demo_landing() -> str | Response:
    """The demo shop's landing page, so a click in the demo ends somewhere real: the
    friend's page for the code it carries (who invited them, what they get), the click
    having been counted by /r/ already."""
    ref = request.args.get("ref", "")
    try:
        target = _directory().resolve_fast(ref) if ref else None
    except (InvalidCode, NotFound):
        target = None
    if target is not None:
        return _friend_page(target)
    return render_template("demo_landing.html", ref=ref,
                           medium=request.args.get("utm_medium", ""))
