"""`python -m fulfillment simulate "share the referral program" --platform alexa --shop demo`
and `python -m fulfillment test-conversations PATH [--junit FILE]`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from core.assistants import variant
from core.services import Services
from fulfillment.cli.services import make_services, require_schema
from fulfillment.simulator.turns import SimulationResult, Simulator
from voice.simulation.requests import PLATFORMS


def _simulator() -> tuple[Simulator, Services]:
    from fulfillment.app import create_app

    services = make_services(embedded_worker=False)
    try:
        require_schema(services)
    except click.ClickException:
        services.close()
        raise
    return Simulator(create_app(services=services), services), services


def _print(result: SimulationResult) -> None:
    click.echo(f"intent:   {result.intent}  (score {result.score:.2f})")
    if result.near_misses:
        click.echo("near:     " + ", ".join(f"{i} {s:.2f}" for i, s in result.near_misses))
    click.echo(f"slots:    {json.dumps(result.slots, ensure_ascii=False)}")
    click.echo(f"speech:   {result.speech}")
    click.echo(f"markup:   {result.markup}")
    if result.card:
        click.echo(f"card:     {json.dumps(result.card, ensure_ascii=False)[:300]}")
    if result.image:
        click.echo(f"qr:       {result.image}")
    if result.link:
        click.echo(f"link:     {result.link}")
    for m in result.messages:
        click.echo(f"message:  {m['kind']} via {m['channel']} to {m['to']} (#{m['id']})")
    click.echo(f"end:      {result.end_session}")


def register(main: click.Group) -> None:
    @main.command("simulate")
    @click.argument("utterance", required=False)
    @click.option("--platform", type=click.Choice(PLATFORMS), default=PLATFORMS[0])
    @click.option("--shop", default="demo")
    @click.option("--locale", default=None, help="Default: en-US (ru-RU on Alice).")
    @click.option("--user", default="alex", help="A customer's external id, or 'new'.")
    @click.option("--screen", is_flag=True, help="A device with a screen.")
    @click.option("--json", "as_json", is_flag=True, help="One JSON object per turn.")
    def simulate(utterance: str | None, platform: str, shop: str, locale: str | None,
                 user: str, screen: bool, as_json: bool) -> None:
        """What an utterance resolves to and exactly what the platform would answer and
        send. Without an utterance: a REPL that keeps the session (empty line = launch)."""
        simulator, services = _simulator()
        try:
            conv = simulator.start(platform, shop, locale or variant(platform).locales[0],
                                   user=user, screen=screen)
            lines = [utterance] if utterance is not None else None
            while True:
                if lines is not None:
                    if not lines:
                        break
                    said = lines.pop(0)
                else:
                    try:
                        said = input("you> ") if sys.stdin.isatty() else sys.stdin.readline()
                    except EOFError:
                        break
                    if said == "" and not sys.stdin.isatty():
                        break
                    said = said.rstrip("\n")
                result = simulator.say(conv, said)
                if as_json:
                    click.echo(json.dumps(result.as_dict(), ensure_ascii=False, default=str))
                else:
                    _print(result)
                if result.end_session and lines is None:
                    click.echo("(session ended; a new one starts)")
                    conv = simulator.start(platform, shop, conv.locale, user=user,
                                           screen=screen)
        finally:
            services.close()

    @main.command("test-conversations")
    @click.argument("path", type=click.Path(exists=True, path_type=Path))
    @click.option("--junit", "junit_file", type=click.Path(dir_okay=False, path_type=Path))
    def test_conversations(path: Path, junit_file: Path | None) -> None:
        """Run YAML conversation tests, each on a fresh copy of the shop it names (the
        database DATABASE_URL names is only read); exit 1 if any fails."""
        from core.errors import DomainError
        from fulfillment.simulator import conversations

        files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
        services = make_services(embedded_worker=False)  # read only: each case gets a copy
        outcomes = []
        try:
            for file in files:
                for name, spec, assistant in conversations.cases(file):
                    try:
                        outcome = conversations.run_isolated(services, name, spec, assistant)
                    except DomainError as exc:  # an unknown shop or customer fails the case
                        outcome = conversations.CaseOutcome(name, error=str(exc))
                    outcomes.append(outcome)
                    click.echo(f"{'PASS' if outcome.passed else 'FAIL'} {name}")
                    for failure in outcome.failures:
                        click.echo(f"     {failure}")
        finally:
            services.close()
        if junit_file:
            junit_file.write_text(conversations.junit(outcomes), encoding="utf-8")
        failed = sum(not o.passed for o in outcomes)
        click.echo(f"{len(outcomes) - failed} passed, {failed} failed")
        if failed:
            raise SystemExit(1)
