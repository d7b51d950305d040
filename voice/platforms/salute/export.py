"""What SmartApp Studio needs for a shop: the webhook URL, the project id our side expects
and an instruction page. With the SmartApp API scenario type Studio's own NLU is not
involved (our local NLU reads `original_text`), so there are no intents to export; sample
phrases are listed for the moderation form. Studio's fields: developers.sber.ru/docs/ru/va/
chat/script/scenario-webhook-setup."""

from __future__ import annotations

import json
from pathlib import Path

from voice import model as language_model
from voice.exports import ShopVoiceInfo


def activation_name(shop: ShopVoiceInfo) -> str:
    return shop.invocation_names.get("ru") or " ".join(shop.name.lower().split())


def sample_phrases() -> list[str]:
    samples = language_model.load().locale("ru-RU").samples
    return [s for name in ("ShareProgram", "SendInvite", "Explain", "CheckStatus", "Help")
            for s in list(samples.get(name, ()))[:1] if "{" not in s]


def export(shop: ShopVoiceInfo, out: Path) -> list[Path]:
    folder = out / f"{shop.slug}-salute"
    folder.mkdir(parents=True, exist_ok=True)
    url = (shop.webhook("salute") if "salute" in shop.path_tokens else
           "(save the connect page: it makes the secret URL)")
    project = shop.skill_ids.get("salute") or "(the project id from Studio)"
    name = activation_name(shop)
    settings = folder / "studio-settings.json"
    settings.write_text(json.dumps({
        "scenario_type": "SmartApp API", "webhook_url": url, "project_id": project,
        "activation_name": name, "sample_phrases": sample_phrases()},
        ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    readme = folder / "README.md"
    readme.write_text(
        f"# {shop.name}: Salute smartapp in SmartApp Studio\n\n"
        "1. In SmartApp Studio (developers.sber.ru/studio) create a project of type "
        "**Chat App** (it works on speakers and on devices with a screen).\n"
        "2. Project settings → «Сценарий смартапа» → «Тип сценария»: **SmartApp API**; "
        f"«Внешняя ссылка» (webhook): `{url}` — https, keep it private: Salute signs "
        "nothing, the secret at the end of the URL is the check. No query string (Salute "
        "drops it).\n"
        f"3. Copy the project id into the connect page; ours now: `{project}`. Requests "
        "from any other project are refused.\n"
        f"4. Activation name: «{name}» («Салют, запусти {name}»).\n"
        "5. Test in Studio's «Тестирование» or on a device signed in with the same Sber ID; "
        "the connect page shows the last request, or why one was refused.\n\n"
        "Intents: none to create — the webhook understands the phrases itself. Sample "
        "phrases for the moderation form:\n"
        + "".join(f"- {p}\n" for p in sample_phrases()), encoding="utf-8")
    return [settings, readme]


EXPORTS = {"salute": export}
