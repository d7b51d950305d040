"""Exports of the language model for each platform's console or CLI. Each exporter writes
files under `out` for one shop and returns the paths it wrote."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from core.assistants import VARIANTS


@dataclass(frozen=True)
class ShopVoiceInfo:
    """What an export needs to know about a shop (no database objects cross this line)."""

    slug: str
    name: str
    base_url: str  # public base of our webhooks, e.g. https://refer.example
    invocation_names: dict[str, str] = field(default_factory=dict)  # language -> name
    skill_ids: dict[str, str] = field(default_factory=dict)  # assistant -> id
    default_locale: str = "en-US"
    timezone: str = "UTC"  # the shop's IANA zone (Dialogflow agents' time zone)
    path_tokens: dict[str, str] = field(default_factory=dict)  # assistant -> its URL's secret

    def invocation_for(self, locale: str) -> str:
        language = locale.split("-")[0]
        return self.invocation_names.get(language) or self.name.lower()

    def webhook(self, path: str) -> str:
        """The shop's webhook URL of assistant `path` (with its secret token, if it has one)."""
        url = f"{self.base_url.rstrip('/')}/{path.strip('/')}/{self.slug}"
        return f"{url}/{self.path_tokens[path]}" if path in self.path_tokens else url

    def page(self, kind: str) -> str:
        """The shop's public page of this kind here (privacy, terms)."""
        return f"{self.base_url.rstrip('/')}/{kind}/{self.slug}"


Exporter = Callable[[ShopVoiceInfo, Path], list[Path]]

# What can be exported: every variant in core.assistants; the exporter of each is in
# voice/platforms/<name>/export.py, under EXPORTS[variant].
EXPORTERS: tuple[str, ...] = VARIANTS


def exporter(platform: str) -> Exporter:
    if platform not in EXPORTERS:
        choices = sorted(EXPORTERS)
        raise ValueError(f"unknown platform {platform!r}; choose from {choices}")
    from voice.platforms import of_variant_module

    found: Exporter = of_variant_module(platform, "export").EXPORTS[platform]
    return found
