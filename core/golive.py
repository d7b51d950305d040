"""The go-live checklist: what a new shop still lacks before a customer's "share" can end in
a referred order, each step read from real state (never a flag the page sets).

- program: the shop published terms of its own (version 1 is the default sign-up made);
- one step per chosen assistant (its ids saved on the connect page, or a request seen):
  done when the newest request from it was verified (core.assistant_status);
- store: connected, and a verified webhook from it received;
- share: a first share made (the console, "try it", or a real customer);
- public_url: the base URL assistants call is https, public and answers.

The web layer maps each key to the page that completes it and words it; core says only
done or not and why not."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import func, select

from core import assistant_status, shops
from core.assistants import ASSISTANTS
from core.errors import InvalidInput
from core.models import Program, Share, StoreConnection
from core.services import Services
from core.url_guard import check_url
from core.wording import N_

ASSISTANT_FIELDS = {v.key: v.chosen_by for a in ASSISTANTS for v in a.variants}
Probe = Callable[[str], str | None]  # url -> None when it answered, else why not


@dataclass(frozen=True)
class Step:
    key: str  # program | assistant | store | share | public_url
    done: bool
    reason: str  # why not yet (empty when done), or what was seen
    platform: str = ""  # the assistant or store this step is about

    @property
    def id(self) -> str:
        return f"{self.key}-{self.platform}" if self.platform else self.key


@dataclass(frozen=True)
class Checklist:
    steps: tuple[Step, ...]

    @property
    def done(self) -> int:
        return sum(step.done for step in self.steps)

    @property
    def live(self) -> bool:
        return all(step.done for step in self.steps)


def probe_https(url: str) -> str | None:
    """GET `url` over verified TLS (no redirects, 3 s): None when it answered 200, else why
    not."""
    import certifi
    import urllib3

    try:
        http = urllib3.PoolManager(cert_reqs="CERT_REQUIRED", ca_certs=certifi.where(),
                                   timeout=urllib3.Timeout(connect=3, read=3), retries=False)
        answer = http.request("GET", url, redirect=False)
    except Exception as exc:  # any failure is "not reachable", said plainly
        return N_("%(url)s did not answer (%(error)s).", url=url, error=type(exc).__name__)
    if answer.status == 200:
        return None
    return N_("%(url)s answered %(status)s.", url=url, status=answer.status)


def public_url_step(services: Services, probe: Probe = probe_https) -> Step:
    """Done when BASE_URL is https, every address its name resolves to is public
    (core.url_guard, the rule outbound webhooks follow) and its /livez answers through
    `probe`: what an assistant or a store needs to call us."""
    base = services.base_url
    if urlsplit(base).scheme != "https":
        return Step("public_url", False, N_(
            "BASE_URL is %(base)s: assistants call only a public https address. For a trial, "
            "run a tunnel (e.g. “cloudflared tunnel --url %(base)s”) and set BASE_URL to the "
            "https address it prints.", base=base))
    try:
        check_url(base, resolve=services.resolve)
    except InvalidInput as exc:
        return Step("public_url", False, N_(
            "BASE_URL %(base)s is not public: %(why)s Assistants cannot reach it; use a tunnel "
            "or a public host.", base=base, why=exc.message))
    failure = probe(base + "/livez")
    if failure:
        return Step("public_url", False, failure)
    return Step("public_url", True, N_("%(base)s answers over https.", base=base))


def _assistant_steps(services: Services, shop_id: int, settings: dict[str, object]) -> list[Step]:
    live = assistant_status.statuses(services, shop_id)
    steps = []
    for platform, chosen_by in ((v.key, v.chosen_by) for a in ASSISTANTS for v in a.variants):
        status = live[platform]
        chosen = bool(settings.get(chosen_by)) or status.state != "waiting"
        if not chosen:
            continue
        if status.state == "ok":
            steps.append(Step("assistant", True, "", platform))
        elif status.state == "refused":
            steps.append(Step("assistant", False, N_("The last request was refused: %(why)s",
                                                why=status.refused_reason), platform))
        else:
            steps.append(Step("assistant", False, N_(
                "Saved, but no verified request has arrived yet: say something to it, or use "
                "“Try it”."), platform))
    if not steps:
        steps.append(Step("assistant", False, N_("No assistant connected yet.")))
    return steps


def checklist(services: Services, shop_id: int, probe: Probe = probe_https) -> Checklist:
    """Every step for `shop_id`, in the order a shop does them."""
    with services.db.session() as uow:
        shop = shops.get(uow, shop_id)
        settings = dict(shop.settings or {})
        version = uow.scalar(select(func.max(Program.version)).where(Program.shop_id == shop_id))
        store = uow.scalar(select(StoreConnection).where(StoreConnection.shop_id == shop_id))
        store_state = None if store is None else (store.platform, store.last_webhook_at,
                                                  store.last_error)
        shared = uow.scalar(select(Share.id).where(Share.shop_id == shop_id).limit(1))
    steps = [Step("program", bool(version and version > 1),
                  "" if version and version > 1 else
                  N_("The default terms are in place: review them and publish yours."))]
    steps += _assistant_steps(services, shop_id, settings)
    if store_state is None:
        steps.append(Step("store", False, N_("No store connected: orders cannot reward anyone.")))
    else:
        platform, last_webhook, error = store_state
        steps.append(Step("store", last_webhook is not None,
                          "" if last_webhook is not None else
                          (N_("Connected; the store reported: %(error)s", error=error) if error else
                           N_("Connected; no verified webhook received yet.")), platform))
    steps.append(Step("share", shared is not None, "" if shared is not None else
                      N_("Send a test share from the console or a connect page's “Try it”.")))
    steps.append(public_url_step(services, probe))
    return Checklist(tuple(steps))
