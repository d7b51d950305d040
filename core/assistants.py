"""The one list of voice assistants: data only. Every place that names assistants (the
webhook route, connect pages and their live status, exports, the console and `simulate`,
KPIs by assistant, settings) reads it; each assistant's code lives in
`voice/platforms/<name>/` under the same name. Adding an assistant is that folder plus one
line in ASSISTANTS (docs/assistants.md)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Variant:
    """What a shop connects and a merchant picks: a connect page, a live-status row, an
    export and a simulator choice. Most assistants have one variant named like themselves;
    Dialogflow has two (ES and CX agents share one webhook)."""

    key: str  # "alexa", "dialogflow-es": URLs (/connect/<shop>/<key>), status rows, --platform
    label: str  # what a merchant reads: "Dialogflow ES"
    locales: tuple[str, ...]  # what its export and connect page offer
    chosen_by: str  # the shop setting whose presence means the shop uses it (go-live list)


@dataclass(frozen=True)
class Assistant:
    name: str  # package voice/platforms/<name>/ and the webhook POST /<name>/<shop>
    label: str
    speaker: str  # whose voice users these are (customers' assistant ids, KPIs, links)
    locales: tuple[str, ...]  # what its customers may speak (the program preview)
    settings: tuple[str, ...]  # the shop settings its connect page writes
    skill_id_setting: str | None = None  # the shop setting its requests must name
    variants: tuple[Variant, ...] = ()
    path_token: bool = False  # its webhook URL ends in a secret token: /<name>/<shop>/<token>

    @property
    def path(self) -> str:
        """The webhook path, with `{slug}` for the shop (and `{token}` for its secret)."""
        return f"/{self.name}/{{slug}}" + ("/{token}" if self.path_token else "")


ASSISTANTS: tuple[Assistant, ...] = (
    Assistant("alexa", "Alexa", speaker="alexa", locales=("en-US", "en-GB", "de-DE"),
              settings=("alexa_skill_id",), skill_id_setting="alexa_skill_id",
              variants=(Variant("alexa", "Alexa", ("en-US", "en-GB", "de-DE"),
                                chosen_by="alexa_skill_id"),)),
    Assistant("dialogflow", "Dialogflow", speaker="google",
              locales=("en-US", "en-GB", "de-DE", "ru-RU"),
              settings=("dialogflow_es_header", "dialogflow_es_secret_hash",
                        "dialogflow_basic_user", "dialogflow_basic_password_hash",
                        "dialogflow_audience", "dialogflow_service_agent"),
              variants=(Variant("dialogflow-es", "Dialogflow ES", ("en-US", "de-DE", "ru-RU"),
                                chosen_by="dialogflow_es_header"),
                        Variant("dialogflow-cx", "Dialogflow CX", ("en-US", "de-DE", "ru-RU"),
                                chosen_by="dialogflow_service_agent"))),
    Assistant("alice", "Alice", speaker="alice", locales=("ru-RU",),
              settings=("alice_skill_id", "alice_oauth_token"), skill_id_setting="alice_skill_id",
              variants=(Variant("alice", "Alice", ("ru-RU",), chosen_by="alice_skill_id"),)),
    Assistant("salute", "Salute", speaker="salute", locales=("ru-RU",),
              settings=("salute_project_id", "salute_path_token"),
              skill_id_setting="salute_project_id", path_token=True,
              variants=(Variant("salute", "Salute", ("ru-RU",), chosen_by="salute_project_id"),)),
)

NAMES: tuple[str, ...] = tuple(a.name for a in ASSISTANTS)
SPEAKERS: tuple[str, ...] = tuple(dict.fromkeys(a.speaker for a in ASSISTANTS))
# LLM assistants calling the MCP server (fulfillment/mcp, docs/mcp.md): the same use cases as
# tools, no webhook or dialog of their own. A customer's sign-in there is a voice identity
# under the host's name, so shares, invite links (`a=`) and clicks are attributed to it as
# to a speaker. "mcp": a client we cannot name (its own name is kept on its shares).
MCP_HOSTS: tuple[str, ...] = ("alexa-plus", "chatgpt", "claude", "mcp")
ATTRIBUTED: tuple[str, ...] = SPEAKERS + MCP_HOSTS  # what KPIs split shares and clicks by
MCP_HOST_LABELS = {"alexa-plus": "Alexa+", "chatgpt": "ChatGPT", "claude": "Claude",
                   "mcp": "Other MCP client"}
VARIANTS: tuple[str, ...] = tuple(v.key for a in ASSISTANTS for v in a.variants)


def named(name: str) -> Assistant | None:
    """The assistant behind a webhook path segment (None: no such assistant)."""
    return next((a for a in ASSISTANTS if a.name == name), None)


def of_variant(key: str) -> Assistant:
    """The assistant a variant key ("dialogflow-cx") belongs to; KeyError for none."""
    for assistant in ASSISTANTS:
        if any(v.key == key for v in assistant.variants):
            return assistant
    raise KeyError(key)


def variant(key: str) -> Variant:
    return next(v for v in of_variant(key).variants if v.key == key)


def speaker_of(name: str) -> str:
    """`dialogflow` and its variants speak for `google`; the console for itself."""
    found = named(name)
    if found is not None:
        return found.speaker
    try:
        return of_variant(name).speaker
    except KeyError:
        return name
