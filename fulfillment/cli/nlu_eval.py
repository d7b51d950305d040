"""`python -m fulfillment nlu-eval FILE.yaml... [--platform P] [--locale L]
[--min-intent X] [--min-slots Y] [--shop-name NAME ...]`: intent accuracy, slot exact match
and the confusion pairs on held-out utterances; exit 1 below a bar (CI runs it on
tests/nlu/)."""

from __future__ import annotations

from pathlib import Path

import click

from voice.nlu.evaluation import PLATFORMS, HeldOutError, evaluate, load_cases, render


def register(main: click.Group) -> None:
    @main.command("nlu-eval")
    @click.argument("files", nargs=-1, required=True,
                    type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--platform", type=click.Choice(PLATFORMS), default="local",
                  help="Pass slots through this platform's request and adapter.")
    @click.option("--locale", default=None, help="Only the utterances of this locale.")
    @click.option("--min-intent", type=click.FloatRange(0, 1), default=None,
                  help="Exit 1 when intent accuracy is below this.")
    @click.option("--min-slots", type=click.FloatRange(0, 1), default=None,
                  help="Exit 1 when slot exact match is below this.")
    @click.option("--examples", type=int, default=25, help="How many misses to list.")
    @click.option("--shop-name", "shop_names", multiple=True,
                  help="The shop's name as the utterances say it (repeatable), as a live "
                       "shop's own name is known to its skill.")
    def nlu_eval(files: tuple[Path, ...], platform: str, locale: str | None,
                 min_intent: float | None, min_slots: float | None, examples: int,
                 shop_names: tuple[str, ...]) -> None:
        """Measure the local NLU on held-out utterances."""
        try:
            cases = load_cases(files, locale)
        except (HeldOutError, ValueError) as exc:
            raise click.ClickException(str(exc)) from exc
        if not cases:
            raise click.ClickException("no utterances" + (f" for {locale}" if locale else ""))
        report = evaluate(cases, platform, shop_names)
        click.echo(render(report, examples))
        failed = []
        for locale_name in report.locales:
            if min_intent is not None and report.intent_accuracy(locale_name) < min_intent:
                failed.append(f"{locale_name} intent {report.intent_accuracy(locale_name):.3f}"
                              f" < {min_intent}")
            if min_slots is not None and report.slot_exact_match(locale_name) < min_slots:
                failed.append(f"{locale_name} slots {report.slot_exact_match(locale_name):.3f}"
                              f" < {min_slots}")
        if failed:
            click.echo("below the bar: " + "; ".join(failed), err=True)
            raise SystemExit(1)
