"""The embedded local default's secrets: random SECRET_KEY and HASH_KEY made on the first
`make run` and kept in var/secrets.json (mode 0600), so no machine runs on a known key and
sessions, sealed secrets and hashes survive a restart. Only `--embedded` starts read it;
values in the environment win."""

from __future__ import annotations

import json
import os
import secrets
import stat
from pathlib import Path

from core.config import REQUIRED_SECRETS, ROOT

FILE_NAME = "secrets.json"


class UnsafeSecretsFile(ValueError):
    """The secrets file exists but others may read it, or it is not ours to trust."""


def var_dir(env: dict[str, str]) -> Path:
    return Path(env.get("VAR_DIR") or ROOT / "var")


def _read(path: Path) -> dict[str, str]:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise UnsafeSecretsFile(f"{path} is readable by others (mode {mode:o}): chmod 600 it")
    try:
        data = json.loads(path.read_text())
    except ValueError:
        data = {}
    if not isinstance(data, dict) or not all(
            isinstance(data.get(name), str) and data[name] for name in REQUIRED_SECRETS):
        raise UnsafeSecretsFile(f"{path} lacks {', '.join(REQUIRED_SECRETS)}: remove it to "
                                "make new ones (sessions and sealed secrets are then lost)")
    return data


def load_or_create(directory: Path) -> dict[str, str]:
    """The stored secrets, made once: O_EXCL so two first starts agree on one file."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = directory / FILE_NAME
    if path.exists():
        return _read(path)
    data = {name: secrets.token_urlsafe(32) for name in REQUIRED_SECRETS}
    tmp = directory / f".{FILE_NAME}.{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(data, out)
    try:
        os.link(tmp, path)  # fails if another first start won: then read theirs
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return _read(path)


def embedded_env(env: dict[str, str]) -> dict[str, str]:
    """The environment of an `--embedded` start: stored secrets where none are given, and
    sandbox trust on unless SANDBOX says otherwise."""
    merged = dict(env)
    if not all(merged.get(name) for name in REQUIRED_SECRETS):
        stored = load_or_create(var_dir(merged))
        for name in REQUIRED_SECRETS:
            merged[name] = merged.get(name) or stored[name]
    merged.setdefault("SANDBOX", "1")
    return merged
