"""Start gunicorn apps on loopback and load them with wrk; every result is read against a
bare Flask hello measured in the same run, so machines and days compare by ratio."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).parent / "gunicorn")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(app: str, env: dict[str, str] | None = None, workers: int = 2) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [GUNICORN, "-w", str(workers), "-k", "sync", "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", app],
        cwd=REPO, env={**os.environ, **(env or {})},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                probe = "/healthz" if "fulfillment" in app else "/hello"
                urllib.request.urlopen(base + probe, timeout=1)
                break
            except Exception:
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=15)


@dataclass
class WrkResult:
    label: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int

    def row(self, baseline: WrkResult | None = None) -> str:
        ratio = f"{self.rps / baseline.rps:5.2f}x" if baseline else "  1.00x"
        return (f"{self.label:<38} {self.rps:9.0f} req/s  p50 {self.p50_ms:6.2f} ms  "
                f"p99 {self.p99_ms:6.2f} ms  errors {self.errors:<4} ratio {ratio}")


def _ms(text: str) -> float:
    match = re.match(r"([\d.]+)(us|ms|s)", text)
    if match is None:
        raise SystemExit(f"wrk printed an unreadable latency: {text!r}")
    value, unit = match.groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(label: str, url: str, *, seconds: int = 8, connections: int = 16, threads: int = 2,
        script: str | None = None) -> WrkResult:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk (make system-deps)")
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script:
        cmd += ["-s", script]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    if "Requests/sec" not in out or "50%" not in out:
        raise SystemExit(f"wrk gave no result for {label}:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    errors = 0
    pattern = r"(?:Non-2xx or 3xx responses|Socket errors:.*?timeout)\s*:?\s*(\d+)"
    for m in re.finditer(pattern, out):
        errors += int(m.group(1))
    return WrkResult(label, rps, p50, p99, errors)
