"""What every command needs before it runs: settings from the environment (and var/ under
`--embedded`), refused in one line when a secret is missing, and the services built on them.
Kept apart from the click group so feature commands import it without importing the CLI."""

from __future__ import annotations

import os
from dataclasses import dataclass

import click

from core.clock import Clock, utcnow
from core.config import ConfigError, Settings
from core.local_secrets import UnsafeSecretsFile, embedded_env
from core.services import Services, bootstrap


@dataclass(frozen=True)
class CliOptions:
    """What the group's flags (and a caller's `obj=`) give every command: whether it runs
    embedded, and the clock its services run on (the wall clock, unless a caller that runs
    the CLI in-process, such as a test on a frozen clock, passes its own)."""

    embedded: bool = False
    clock: Clock = utcnow


def _options() -> CliOptions:
    ctx = click.get_current_context(silent=True)
    found = ctx.find_object(CliOptions) if ctx is not None else None
    return found or CliOptions()


def is_embedded() -> bool:
    return _options().embedded


def cli_settings(**overrides: object) -> Settings:
    """Settings from the environment (and var/ when `--embedded`); a missing or unsafe
    secret, or half a channel, is one line on stderr and exit code 1, never a traceback."""
    try:
        env = embedded_env(dict(os.environ)) if is_embedded() else None
        settings = Settings.from_env(env).with_(**overrides)
        settings.require_complete()
    except (ConfigError, UnsafeSecretsFile) as exc:
        raise click.ClickException(str(exc)) from None
    return settings


def make_services(**overrides: object) -> Services:
    return bootstrap(cli_settings(**overrides), clock=_options().clock)


def require_schema(services: Services) -> None:
    """A command that reads the shops refuses, in one sentence saying what to run, a
    database without our tables (or behind this code) instead of a traceback."""
    from core.migrate import SchemaState, schema_state, shipped_heads

    url = services.settings.database_url
    state = schema_state(services.db, shipped_heads(url))
    where = url.split("@")[-1]
    flag = " --embedded" if is_embedded() else ""
    if state is SchemaState.MISSING:
        raise click.ClickException(
            f"The database {where} has no tables yet. Run `python -m fulfillment{flag} db "
            f"upgrade` first (then `python -m fulfillment{flag} demo` for the demo shop); "
            "`make run` does both.")
    if state is SchemaState.BEHIND:
        raise click.ClickException(
            f"The database {where} is behind this code. Run `python -m fulfillment{flag} db "
            "upgrade` first.")
