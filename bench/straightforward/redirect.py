"""The straightforward referral redirect: GET /r/<code> reads the code and its shop with
the ORM, inserts the click (channel, assistant, hashed IP, user agent, bot flag) and
commits, then answers 302 to the shop's landing page with the code."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Flask, abort, redirect, request
from sqlalchemy import select

from bench.straightforward.db import keyed_hash, make_sessions, now
from core.models import Click, ReferralCode, Shop

Session = make_sessions()
app = Flask(__name__)
BOTS = ("bot", "crawler", "spider", "preview")


@app.get("/hello")
def hello() -> str:
    return "hello"


@app.get("/r/<code>")
def follow(code: str) -> Any:
    code = code.replace("-", "").upper()
    with Session() as session:
        found = session.scalars(select(ReferralCode).where(
            ReferralCode.code == code, ReferralCode.active)).first()
        if found is None:
            abort(404)
        shop = session.get(Shop, found.shop_id)
        agent = request.headers.get("User-Agent", "")[:300]
        session.add(Click(code_id=found.id, shop_id=found.shop_id,
                          channel=request.args.get("c", "web")[:16],
                          assistant=request.args.get("a"),
                          ip_hash=keyed_hash(request.remote_addr or ""), user_agent=agent,
                          is_bot=any(b in agent.lower() for b in BOTS), created_at=now()))
        session.commit()
        target = f"{shop.landing_url}?{urlencode({'ref': found.code})}"
    return redirect(target, 302)
