"""The referral program as MCP tools: one customer intent each, and each the same one call
into core that the voice dialog makes (core.sharing, core.rewards, core.reminders,
core.privacy). Results are structured data (the output schema is a promise) plus a short
text in the customer's language; refusals are tool errors with a plain message.

Who is calling comes from the verified access token (fulfillment/mcp/asgi.py puts a
core.oauth_grants.Grant in the request's scope); the customer is the one the token's
sign-in linked, read as a voice turn reads its speaker (core.speakers)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal, TypeVar

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp_types import (
    CallToolResult,
    ContentBlock,
    ImageContent,
    TextContent,
    ToolAnnotations,
)
from pydantic import BaseModel, Field

from core import privacy, qr, reminders, sharing, speakers
from core.contacts import mask_email, mask_phone, normalize_email, normalize_phone, region_of
from core.db import UnitOfWork
from core.errors import InvalidInput
from core.hashing import keyed_hash
from core.oauth_grants import Grant
from core.oauth_grants import ShopRow as Shop
from core.rewards import referral_stats
from core.services import Services
from core.speakers import Speaker
from voice import mcp_text
from voice.dialog.terms import terms_sentences
from voice.i18n import Translator, translator

GRANT_KEY = "referrals.grant"
SHOP_KEY = "referrals.shop"
UI_URI = "ui://referrals/invite.html"
ERASE_WINDOW = timedelta(minutes=10)
# 6 px modules (about 250 px): plenty on a screen, and a third cheaper to draw than the
# message's 12 px one (the PNG is drawn on every share call; the Alexa turn only links it).
QR_BOX = 6
T = TypeVar("T")


class ToolRefused(Exception):
    """A refusal the customer should read (no stack, no internals)."""


@dataclass
class Call:
    """One tool call's world: the services, the unit of work, the shop, the customer."""

    services: Services
    session: UnitOfWork
    shop: Shop
    program: Any  # core.models.Program | None (the shop's active program)
    grant: Grant
    found: Speaker | None  # None: a service token, or a sign-in since erased
    t: Translator

    @property
    def speaker(self) -> Speaker:
        if self.found is None:
            raise ToolRefused(mcp_text.sign_in_needed(self.t))
        return self.found

    @property
    def said(self) -> sharing.Said:
        return sharing.Said(assistant=self.grant.assistant, voice_user=self.grant.subject,
                            utterance="", locale=self.t.locale)

    def terms(self) -> str:
        return terms_sentences(self.t, self.program) if self.program else ""


class SentTo(BaseModel):
    channel: str = Field(description="sms, whatsapp, email or telegram")
    address: str = Field(description="the address, masked")


class ShareResult(BaseModel):
    status: Literal["queued", "already_sent", "no_address", "cannot_send"]
    code: str = Field(description="the customer's referral code as written")
    link: str = Field(description="the invite link friends open")
    qr_url: str = Field(description="a PNG of the QR code for the link")
    sent_to: SentTo | None = Field(description="where the link and QR went; null if nowhere")


class FriendResult(BaseModel):
    status: Literal["queued", "own_address", "recently_invited", "refused", "needs_contact"]
    channel: str = Field(description="sms or email; empty when nothing was sent")
    link: str | None = Field(description="the invite link that was sent")


class ProgramResult(BaseModel):
    shop: str
    running: bool = Field(description="false when the shop has no active program")
    terms: str = Field(description="what the friend gets and what the customer gets")


class Money(BaseModel):
    amount_minor: int = Field(description="in the currency's minor units (cents)")
    formatted: str


class StatusResult(BaseModel):
    friends_joined: int
    friends_ordered: int
    currency: str
    approved: Money = Field(description="rewards ready to use")
    on_hold: Money = Field(description="rewards waiting for the refund window")
    points_approved: int
    points_on_hold: int


class ReminderResult(BaseModel):
    status: Literal["created", "moved", "already", "no_channel"]
    weekday: str
    local_time: str = Field(description="HH:MM in the customer's time zone")
    channel: str | None


class StopResult(BaseModel):
    stopped: int = Field(description="how many reminders were turned off")


class EraseStep(StrEnum):
    CONFIRM = "confirm"  # asked; call again with the confirmation once they said yes
    REQUESTED = "requested"  # the shop was asked to erase
    COMPLETED = "completed"  # erased now (a customer the shop never named)


class EraseResult(BaseModel):
    status: EraseStep
    confirmation: str | None = Field(
        description="when status is confirm: pass it back as `confirmation` once the "
                    "customer said yes (valid 10 minutes)")


def _text(message: str) -> list[ContentBlock]:
    return [TextContent(type="text", text=message)]


def refused(message: str) -> CallToolResult:
    return CallToolResult(content=_text(message), is_error=True)


def ok(data: BaseModel, text: str, *extra: Any) -> CallToolResult:
    return CallToolResult(content=[*_text(text), *extra],
                          structured_content=data.model_dump(mode="json"))


def _grant(ctx: Context) -> tuple[Grant, str]:
    scope = ctx.request_context.request.scope  # type: ignore[union-attr]
    return scope[GRANT_KEY], scope[SHOP_KEY]


def _erase_token(services: Services, grant: Grant, at: int) -> str:
    return keyed_hash(services.settings.hash_key, f"mcp-erase:{grant.shop_id}:"
                      f"{grant.subject}:{at}")[:24]


class Tools:
    """The tools over one Services (built per app: no global state)."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def run(self, ctx: Context, step: Callable[[Call], T]) -> T | CallToolResult:
        grant, slug = _grant(ctx)
        return await anyio.to_thread.run_sync(self._in_unit_of_work, grant, slug, step)

    def _in_unit_of_work(self, grant: Grant, slug: str,
                         step: Callable[[Call], T]) -> T | CallToolResult:
        """One unit of work per call; the customer is read with their code, as a voice turn
        reads its speaker. A tool that needs them refuses a service token (Call.speaker)."""
        svc = self.services
        with svc.db.session() as uow:
            shop, program = svc.shops.get(uow, slug)
            found = speakers.speaker(uow, shop.id, grant.assistant, grant.subject)
            locale = found.customer.locale if found is not None else ""
            call = Call(svc, uow, shop, program, grant, found, translator(locale or shop.locale))
            try:
                return step(call)
            except ToolRefused as exc:
                return refused(str(exc))

    # -- the tools -------------------------------------------------------------------------

    def share(self, call: Call, channel: str | None) -> CallToolResult:
        outcome = sharing.share_with_me(
            call.session, call.services, shop=call.shop, customer=call.speaker.customer,
            said=call.said, wanted_channel=channel, terms=call.terms(), speaker=call.speaker,
            has_screen=True)  # the host's chat shows the link: it carries c=screen
        invite = outcome.shown or outcome.invite
        sent = None
        if outcome.address and outcome.status is not sharing.ShareStatus.NO_ADDRESS:
            masked = mask_email(outcome.address) if outcome.channel == "email" \
                else mask_phone(outcome.address)
            sent = SentTo(channel=outcome.channel, address=masked)
        data = ShareResult(status=outcome.status.value, code=invite.display, link=invite.link,
                           qr_url=invite.qr_png, sent_to=sent)
        image = ImageContent(type="image", mime_type="image/png",
                             data=base64.b64encode(qr.png(invite.link, QR_BOX)).decode())
        text = mcp_text.shared(call.t, invite.display, invite.link, outcome.status.value,
                               outcome.channel)
        return ok(data, text, image)

    def invite(self, call: Call, contact: str, customer_confirmed: bool) -> CallToolResult:
        if not customer_confirmed:
            raise ToolRefused(mcp_text.confirm_friend_first(call.t))
        raw = contact.strip()[:320]
        try:
            if "@" in raw:
                kind, value = "email", normalize_email(raw)
            else:
                region = region_of(call.t.locale) or region_of(call.shop.locale) or "US"
                kind, value = "phone", normalize_phone(
                    raw, region, allow_fictional=call.services.settings.sandbox)
        except InvalidInput as exc:
            raise ToolRefused(mcp_text.not_an_address(call.t)) from exc
        outcome = sharing.invite_friend(
            call.session, call.services, shop=call.shop, customer=call.speaker.customer,
            said=call.said, contact_kind=kind, contact_value=value, heard=raw,
            terms=call.terms(), speaker=call.speaker)
        data = FriendResult(status=outcome.status.value, channel=outcome.channel,
                            link=outcome.invite.link if outcome.invite else None)
        return ok(data, mcp_text.friend_invited(call.t, outcome.status.value))

    def explain(self, call: Call) -> CallToolResult:
        terms = call.terms()
        data = ProgramResult(shop=call.shop.name, running=call.program is not None,
                             terms=terms)
        return ok(data, terms or mcp_text.no_program(call.t, call.shop.name))

    def status(self, call: Call) -> CallToolResult:
        stats = referral_stats(call.session, call.shop.id, call.speaker.customer.id)
        held = stats.pending_minor + stats.held_minor
        currency = stats.currency or (call.program.currency if call.program else "USD")
        data = StatusResult(
            friends_joined=stats.joined, friends_ordered=stats.converted, currency=currency,
            approved=Money(amount_minor=stats.approved_minor,
                           formatted=call.t.money(stats.approved_minor, currency)),
            on_hold=Money(amount_minor=held, formatted=call.t.money(held, currency)),
            points_approved=stats.points_approved, points_on_hold=stats.points_pending)
        text = mcp_text.status_text(call.t, stats.joined, stats.converted)
        return ok(data, f"{text} {data.approved.formatted} / {data.on_hold.formatted}")

    def remind(self, call: Call, weekday: str) -> CallToolResult:
        evidence = {"assistant": call.grant.assistant, "locale": call.t.locale,
                    "at": call.services.clock().isoformat(), "asked": f"set_reminder {weekday}",
                    "confirmed": "tools/call"}
        outcome = reminders.set_weekly(call.session, call.services, call.shop,
                                       call.speaker.customer,
                                       weekday=reminders.WEEKDAYS.index(weekday),
                                       evidence=evidence)
        data = ReminderResult(status=outcome.status.value,
                              weekday=reminders.WEEKDAYS[outcome.weekday],
                              local_time=outcome.local_time, channel=outcome.channel)
        return ok(data, mcp_text.reminder_set(call.t, outcome.status.value))

    def stop(self, call: Call) -> CallToolResult:
        evidence = {"assistant": call.grant.assistant, "locale": call.t.locale,
                    "at": call.services.clock().isoformat(), "said": "stop_reminders"}
        stopped = reminders.stop_all(call.session, call.services, call.speaker.customer,
                                     evidence)
        return ok(StopResult(stopped=len(stopped)),
                  mcp_text.reminders_stopped(call.t, len(stopped)))

    def erase(self, call: Call, confirmation: str | None) -> CallToolResult:
        window = int(call.services.clock().timestamp() // ERASE_WINDOW.total_seconds())
        if not confirmation:
            token = _erase_token(call.services, call.grant, window)
            return ok(EraseResult(status=EraseStep.CONFIRM, confirmation=token),
                      mcp_text.erase_question(call.t, call.shop.name))
        if confirmation not in (_erase_token(call.services, call.grant, window),
                                _erase_token(call.services, call.grant, window - 1)):
            raise ToolRefused(mcp_text.stale_confirmation(call.t))
        outcome = privacy.request_erasure(call.session, call.services, call.speaker.customer,
                                          source="voice")
        done = outcome.status == privacy.ErasureStatus.COMPLETED
        step = EraseStep.COMPLETED if done else EraseStep.REQUESTED
        return ok(EraseResult(status=step, confirmation=None),
                  mcp_text.erased(call.t, call.shop.name, outcome.status, outcome.already))


INVITE_HTML = """<!doctype html><html><head><meta charset="utf-8"><title>Invite</title>
<style>body{font-family:system-ui;margin:1rem;text-align:center}img{width:12rem}</style>
</head><body><h2 id="code"></h2><p><a id="link" target="_blank" rel="noopener"></a></p>
<img id="qr" alt="QR code"><script>
window.addEventListener("message",function(e){var m=e.data||{};var r=(m.params||{});
var s=r.structuredContent||(r.result||{}).structuredContent;if(!s)return;
document.getElementById("code").textContent=s.code;var a=document.getElementById("link");
a.textContent=s.link;a.href=s.link;document.getElementById("qr").src=s.qr_url;});
</script></body></html>"""


def build(services: Services) -> MCPServer:
    """The MCP server with the referral tools (the MCP Apps UI for the share)."""
    from mcp.server.apps import Apps

    tools = Tools(services)
    apps = Apps()
    apps.add_html_resource(UI_URI, INVITE_HTML)
    write = ToolAnnotations(read_only_hint=False, destructive_hint=False,
                            open_world_hint=True)
    read = ToolAnnotations(read_only_hint=True, open_world_hint=False)

    @apps.tool(
        resource_uri=UI_URI, name="share_referral_program", annotations=write,
        description="Call when the customer wants their own referral invite (\"share the "
                    "referral program\", \"what's my code\"). Returns their code, the invite "
                    "link, a QR code image, and where the link was sent (their confirmed "
                    "phone or email; at most once a day per channel).")
    async def share_referral_program(
            ctx: Context,
            channel: Annotated[Literal["sms", "whatsapp", "email", "telegram"] | None, Field(
                description="where to send it; omit to use the customer's confirmed "
                            "address")] = None,
    ) -> Annotated[CallToolResult, ShareResult]:
        return await tools.run(ctx, lambda c: tools.share(c, channel))

    server = MCPServer(
        "referrals", title="Referral invites", version="1.0.0",
        instructions="A shop's referral program for the signed-in customer: share their "
                     "invite, send it to a friend, explain the terms, report friends and "
                     "rewards, set or stop reminders, delete their data.",
        extensions=[apps], log_level="WARNING")  # the SDK's per-request INFO lines: noise
    @server.tool(
        name="invite_friend", annotations=write,
        description="Call to send the customer's invite to a friend's phone (SMS) or email. "
                    "First read the address back to the customer; call with "
                    "customer_confirmed=true only after they said yes. A friend gets one "
                    "invite per 30 days. Returns whether it was queued.")
    async def invite_friend(
            ctx: Context,
            contact: Annotated[str, Field(description="the friend's phone number (with "
                                                      "country code) or email address",
                                          max_length=320)],
            customer_confirmed: Annotated[bool, Field(
                description="true once the customer confirmed this address")] = False,
    ) -> Annotated[CallToolResult, FriendResult]:
        return await tools.run(ctx, lambda c: tools.invite(c, contact, customer_confirmed))

    @server.tool(
        name="explain_program", annotations=read,
        description="Call when the customer asks how the referral program works. Returns "
                    "the shop's terms (what a friend gets, what the customer gets) in the "
                    "customer's language.")
    async def explain_program(ctx: Context) -> Annotated[CallToolResult, ProgramResult]:
        return await tools.run(ctx, tools.explain)

    @server.tool(
        name="referral_status", annotations=read,
        description="Call when the customer asks how many friends joined or ordered, or "
                    "about their rewards. Returns counts and rewards by state in the shop's "
                    "currency.")
    async def referral_status(ctx: Context) -> Annotated[CallToolResult, StatusResult]:
        return await tools.run(ctx, tools.status)

    @server.tool(
        name="set_reminder", annotations=write,
        description="Call when the customer asks to be reminded weekly to share their "
                    "invite. Sets (or moves) a weekly reminder on that day at 10:00 their "
                    "time, sent to their confirmed phone or email.")
    async def set_reminder(
            ctx: Context,
            weekday: Annotated[Literal["monday", "tuesday", "wednesday", "thursday", "friday",
                                       "saturday", "sunday"], Field(description="the day")],
    ) -> Annotated[CallToolResult, ReminderResult]:
        return await tools.run(ctx, lambda c: tools.remind(c, weekday))

    @server.tool(
        name="stop_reminders", annotations=write,
        description="Call when the customer asks to stop reminders. Turns all of them off "
                    "and returns how many.")
    async def stop_reminders(ctx: Context) -> Annotated[CallToolResult, StopResult]:
        return await tools.run(ctx, tools.stop)

    @server.tool(
        name="delete_my_data", annotations=ToolAnnotations(destructive_hint=True,
                                                           read_only_hint=False),
        description="Call when the customer asks to delete their data. The first call "
                    "(without confirmation) returns a question and a confirmation value; "
                    "ask the customer, and only if they say yes call again with it. Then "
                    "the shop is asked to erase their data and their code stops working.")
    async def delete_my_data(
            ctx: Context,
            confirmation: Annotated[str | None, Field(
                description="the value the first call returned, after the customer said "
                            "yes", max_length=64)] = None,
    ) -> Annotated[CallToolResult, EraseResult]:
        return await tools.run(ctx, lambda c: tools.erase(c, confirmation))

    return server
