"""The back office a shop runs every day: the review queue (/review/<slug>: flagged referrals
with the rule and its hashed evidence; approve or reject with a reason, one or many: the
same decisions as the API), every referral (/referrals/<slug>, filters, a date range, a CSV
with one row per referral) and one customer (/customers/<slug>/<id>: code, shares,
referrals, ledger, consent, suppressions, voice identities; export and erase for a
manager, with confirmation).

Support reads; a decision, an export, an erasure or the CSV needs a manager (as the API's
keys). HTTP only: each view is one call into core."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from core import currencies, customer_view, privacy, referral_report, review, staff_language
from core.accounts import Role
from core.assistants import ASSISTANTS, SPEAKERS
from core.errors import NotFound
from core.fraud import DEFAULT_ACTIONS
from core.paging import MAX_AFTER
from core.referral_report import CHANNEL_CHOICES, REFERRAL_STATUSES, ReferralRow
from fulfillment.context import services
from fulfillment.web import forms, i18n
from fulfillment.web.auth import current_staff, require_role, shop_for_staff
from fulfillment.web.dashboard import money
from fulfillment.web.i18n import N_

bp = Blueprint("backoffice", __name__, template_folder="templates")
forms.protect(bp)
ASSISTANT_CHOICES = (*SPEAKERS, referral_report.UNKNOWN)  # as referrals record them


@bp.app_template_filter("assistant_label")
def assistant_label(speaker: str | None) -> str:
    """"alexa" -> "Alexa" (core.assistants' labels), "none" and unknown ones translated."""
    found = {a.speaker: a.label for a in ASSISTANTS}.get(speaker or "")
    return found or i18n.gettext(speaker or "none")


@bp.app_template_global("currency_choices")
def currency_choices(first: str) -> list[tuple[str, str]]:
    """The currencies in use (core.currencies), the shop's own first: every currency select."""
    return currencies.choices(first, i18n.language())


def _int(value: str | None, default: int) -> int:
    try:
        return max(0, min(int(value or default), MAX_AFTER))
    except ValueError:
        return default


def _can_decide() -> bool:
    staff = current_staff()
    return staff is not None and staff.can(Role.MANAGER)


# --- the pages' language ------------------------------------------------------------

@bp.post("/language")
@require_role(Role.SUPPORT)
def choose_language() -> ResponseReturnValue:
    """The staff member's own choice of language for every merchant page."""
    staff = current_staff()
    if staff is not None:
        staff_language.choose(services(), staff.id, (request.form.get("language") or "")[:8])
    back = request.form.get("next") or "/"
    return redirect(back if back.startswith("/") and not back.startswith("//") else "/")


# --- review queue ----------------------------------------------------------------------

@bp.get("/review/<slug>")
@require_role(Role.SUPPORT)
def review_queue(slug: str) -> ResponseReturnValue:
    shop = shop_for_staff(slug)
    rule = request.args.get("rule", "")
    rule = rule if rule in DEFAULT_ACTIONS else ""
    found = review.flagged_with_evidence(services(), shop.id, rule=rule,
                                         after=_int(request.args.get("after"), 0))
    return render_template("backoffice/review.html", shop=shop, page=found, rule=rule,
                           rules=sorted(DEFAULT_ACTIONS), can_decide=_can_decide(),
                           decided=request.args.get("decided"),
                           skipped=request.args.get("skipped"), error=None)


@bp.post("/review/<slug>")
@require_role(Role.MANAGER)  # the API's decisions need a manager key too
def decide(slug: str) -> ResponseReturnValue:
    shop = shop_for_staff(slug)
    try:
        decision = review.Decision(request.form.get("decision", ""))
    except ValueError:
        return _review_error(shop, N_("Choose approve or reject."))
    ids = [_int(v, 0) for v in request.form.getlist("referral")]
    ids = [i for i in ids if i]
    if not ids:
        return _review_error(shop, N_("Select at least one referral."))
    reason = (request.form.get("reason") or "").strip()
    if decision is review.Decision.REJECT and not reason:
        return _review_error(shop, N_("Say why you reject: the reason is kept with the decision."))
    staff = current_staff()
    outcome = review.decide_many(services(), shop_id=shop.id, referral_ids=ids,
                                 decision=decision, reviewer=staff.email if staff else "staff",
                                 reason=reason)
    return redirect(url_for("backoffice.review_queue", slug=slug,
                            decided=len(outcome.decided), skipped=len(outcome.not_in_review)))


def _review_error(shop: Any, message: str) -> ResponseReturnValue:
    found = review.flagged_with_evidence(services(), shop.id)
    return render_template("backoffice/review.html", shop=shop, page=found, rule="",
                           rules=sorted(DEFAULT_ACTIONS), can_decide=True, decided=None,
                           skipped=None, error=message), 422


# --- referrals -------------------------------------------------------------------------

@bp.get("/referrals/<slug>")
@require_role(Role.SUPPORT)
def referrals(slug: str) -> ResponseReturnValue:
    shop = shop_for_staff(slug)
    filters = referral_report.parse_filters(request.args)  # 422 naming a bad field
    found = referral_report.page(services(), shop.id, filters,
                                 before=_int(request.args.get("before"), MAX_AFTER) or MAX_AFTER)
    return render_template("backoffice/referrals.html", shop=shop, page=found,
                           filters=filters, query=filters.as_query(),
                           statuses=REFERRAL_STATUSES, channels=CHANNEL_CHOICES,
                           assistants=ASSISTANT_CHOICES, can_export=_can_decide())


CSV_HEADER = ["referral", "created_at", "status", "fraud_reasons", "referrer", "friend",
              "channel", "assistant", "code", "order_id", "order_amount", "refunded",
              "currency", "referrer_reward", "friend_reward", "reward_status", "reviewed_by",
              "review_reason"]


def _reward_text(row: ReferralRow, side: str) -> str:
    parts = []
    for r in row.rewards:
        if r.side == side:
            parts.append(f"{r.amount}%" if r.kind == "percent_discount"
                         else money(r.amount, r.currency))
    return "; ".join(parts)


def csv_row(row: ReferralRow) -> list[Any]:
    """One referral, money in major units with the currency's sign."""
    return [row.id, row.created_at.isoformat(), row.status, " ".join(row.reasons),
            row.referrer or "", row.friend, row.channel or "", row.assistant or "", row.code,
            row.order_id or "",
            money(row.order_amount, row.currency or "")
            if row.order_amount is not None and row.currency else "",
            money(row.refunded, row.currency or "") if row.refunded else "",
            row.currency or "", _reward_text(row, "referrer"), _reward_text(row, "friend"),
            " ".join(sorted({r.status for r in row.rewards})), row.reviewed_by or "",
            row.review_reason or ""]


def _csv_cell(value: Any) -> Any:
    """A cell a spreadsheet will not run as a formula (ids and reasons come from people)."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else value


@bp.get("/referrals/<slug>/referrals.csv")
@require_role(Role.MANAGER)
def referrals_csv(slug: str) -> ResponseReturnValue:
    shop = shop_for_staff(slug)
    filters = referral_report.parse_filters(request.args)
    svc = services()  # the generator runs after the view returned

    def lines() -> Iterator[str]:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(CSV_HEADER)
        for row in referral_report.every(svc, shop.id, filters):
            writer.writerow([_csv_cell(c) for c in csv_row(row)])
            yield out.getvalue()
            out.seek(0)
            out.truncate()
        yield out.getvalue()

    return Response(lines(), mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename={shop.slug}-referrals.csv"})


# --- one customer ----------------------------------------------------------------------

@bp.get("/customers/<slug>")
@require_role(Role.SUPPORT)
def find_customer(slug: str) -> ResponseReturnValue:
    shop = shop_for_staff(slug)
    wanted = (request.args.get("customer") or "").strip()[:128]
    if wanted:
        return redirect(url_for("backoffice.customer", slug=shop.slug, external_id=wanted))
    return render_template("backoffice/find_customer.html", shop=shop, missing=None)


@bp.get("/customers/<slug>/<external_id>")
@require_role(Role.SUPPORT)
def customer(slug: str, external_id: str) -> ResponseReturnValue:
    shop = shop_for_staff(slug)
    try:
        found = customer_view.view(services(), shop.id, external_id)
    except NotFound:
        return render_template("backoffice/find_customer.html", shop=shop,
                               missing=external_id), 404
    return render_template("backoffice/customer.html", shop=shop, c=found,
                           can_export=_can_decide(), error=None,
                           erased=request.args.get("erased"))


@bp.post("/customers/<slug>/<external_id>/erase")
@require_role(Role.MANAGER)
def erase(slug: str, external_id: str) -> ResponseReturnValue:
    """Erase only when the confirmation field repeats the customer's id."""
    shop = shop_for_staff(slug)
    if (request.form.get("confirm") or "").strip() != external_id:
        found = customer_view.view(services(), shop.id, external_id)  # NotFound -> 404
        return render_template("backoffice/customer.html", shop=shop, c=found, can_export=True,
                               erased=None,
                               error=N_("Type the customer's id exactly to confirm.")), 422
    privacy.erase(services(), shop.id, external_id, source="dashboard")
    return redirect(url_for("backoffice.find_customer", slug=slug, erased=1))
