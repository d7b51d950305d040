"""Start gunicorn apps on loopback and load them with wrk; every result is read against a
bare Flask hello measured in the same run, so machines and days compare by ratio."""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
CONNECTIONS_DEFAULT = 16
# How `python -m fulfillment serve` runs the app: built once in the master, forked into the
# workers (fulfillment.serving.preload); every bench serves ours this way.
PRELOAD = ("-c", "python:fulfillment.serving.preload")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server(str):
    """The base URL of a running gunicorn, with its master process for `worker_rss_mb`."""

    proc: subprocess.Popen[bytes]


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def worker_rss_mb(server: Server) -> list[float]:
    """Resident memory of each gunicorn worker now (read it while wrk is loading them)."""
    return [_rss_mb(pid) for pid in _children(server.proc.pid)]


@dataclass(frozen=True)
class Memory:
    """One process's memory: resident (RSS), unique to it (USS = Private_Clean +
    Private_Dirty: what it would give back if it ended) and its proportional share (PSS:
    pages shared with the master and the other workers divided among them)."""

    rss_mb: float
    uss_mb: float
    pss_mb: float

    def __str__(self) -> str:
        return f"RSS {self.rss_mb:.0f} / USS {self.uss_mb:.0f} / PSS {self.pss_mb:.0f} MB"


def memory_of(pid: int) -> Memory:
    """From /proc/<pid>/smaps_rollup (kB figures); zeros for a process that has ended."""
    fields: dict[str, int] = {}
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
            name, _, rest = line.partition(":")
            fields[name] = int(rest.split()[0])
    except (OSError, ValueError, IndexError):
        return Memory(0.0, 0.0, 0.0)
    uss = fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)
    return Memory(fields.get("Rss", 0) / 1024, uss / 1024, fields.get("Pss", 0) / 1024)


def worker_memory(server: Server) -> list[Memory]:
    """Each gunicorn worker's memory now (read it while wrk is loading them)."""
    return [memory_of(pid) for pid in _children(server.proc.pid)]


def process_cpu_seconds(pids: list[int]) -> float:
    """CPU seconds (user + system) these processes have used so far."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def server_pids(server: Server) -> list[int]:
    return [server.proc.pid, *_children(server.proc.pid)]


@contextmanager
def gunicorn(app: str, env: dict[str, str] | None = None, workers: int = 2,
             threads: int = 1, probe: str | None = None,
             options: tuple[str, ...] = ()) -> Iterator[Server]:
    """`threads` > 1 runs gthread workers, as `python -m fulfillment serve` does in
    production (fulfillment.serving.gunicorn): a thread waiting on the database leaves the
    CPU to another request. `probe`: a GET that answers once the app is up."""
    port = free_port()
    kind = ["-k", "gthread", "--threads", str(threads)] if threads > 1 else ["-k", "sync"]
    proc = subprocess.Popen(
        [GUNICORN, "-w", str(workers), *kind, "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", *options, app],
        cwd=REPO, env={**os.environ, **(env or {})},
    )
    base = Server(f"http://127.0.0.1:{port}")
    base.proc = proc
    try:
        path = probe or ("/healthz" if "fulfillment" in app else "/hello")
        for _ in range(150):
            try:
                urllib.request.urlopen(base + path, timeout=1)
                break
            except urllib.error.HTTPError:
                break  # it answers
            except Exception:
                if proc.poll() is not None:
                    raise SystemExit(f"gunicorn {app} exited with {proc.returncode}") from None
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
    requests: int = 0  # responses wrk completed (a request still in flight at the end is not)
    rss_mb: tuple[float, ...] = ()  # each worker's RSS, sampled near the end of the run
    cpu_cores: dict[str, float] | None = None  # cores each kind of process used meanwhile
    memory: tuple[Memory, ...] = ()  # each worker's memory, sampled with rss_mb
    server_cpu_ms: float | None = None  # the server's CPU (master + workers) per response

    def cpu_line(self) -> str:
        """Where the machine's CPUs went during the run, and per response: on a machine
        where the server, the database and wrk share the CPUs, this says which one bounds
        the rate (all busy: CPU per request; idle left: waits)."""
        cores = self.cpu_cores or {}
        per = ", ".join(f"{name} {1000 * used / self.rps:.2f} ms" for name, used in cores.items()
                        if name != "idle" and self.rps)
        return (f"CPU during '{self.label}' (cores): "
                + ", ".join(f"{name} {used:.2f}" for name, used in cores.items())
                + f"; per response: {per}")

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


def wrk(label: str, url: str, *, seconds: int = 8, connections: int = CONNECTIONS_DEFAULT,
        threads: int = 2,
        script: str | None = None, server: Server | None = None) -> WrkResult:
    """One wrk run; with `server`, its workers' RSS is sampled a little before the end."""
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install wrk (make system-deps)")
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script:
        cmd += ["-s", script]
    cpu_before, wall_before = cpu_seconds_by_kind(), time.monotonic()
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen([*cmd, url], stdout=subprocess.PIPE, text=True)
    rss: tuple[float, ...] = ()
    memory: tuple[Memory, ...] = ()
    server_cpu = process_cpu_seconds(server_pids(server)) if server is not None else 0.0
    if server is not None:
        time.sleep(max(seconds - 1.0, 0.5))
        memory = tuple(worker_memory(server))
        rss = tuple(m.rss_mb for m in memory)
    out, _ = proc.communicate()
    if server is not None:
        server_cpu = process_cpu_seconds(server_pids(server)) - server_cpu
    cpu_after = cpu_seconds_by_kind()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk has exited: counted here
    cpu_after["wrk"] += (children.ru_utime + children.ru_stime
                         - children_before.ru_utime - children_before.ru_stime)
    cpu = cores_used(cpu_before, cpu_after, time.monotonic() - wall_before)
    if proc.returncode:
        raise SystemExit(f"wrk failed for {label}: exit {proc.returncode}")
    if "Requests/sec" not in out or "50%" not in out:
        raise SystemExit(f"wrk gave no result for {label}:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    done = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = 0
    pattern = r"(?:Non-2xx or 3xx responses|Socket errors:.*?timeout)\s*:?\s*(\d+)"
    for m in re.finditer(pattern, out):
        errors += int(m.group(1))
    per_response = 1000 * server_cpu / done if server is not None and done else None
    return WrkResult(label, rps, p50, p99, errors, done, rss, cpu, memory, per_response)


KINDS = ("gunicorn", "postgres", "wrk")


def cpu_seconds_by_kind() -> dict[str, float]:
    """CPU seconds every process has used so far, summed by kind (gunicorn, postgres, wrk,
    other); `idle` is the machine's idle time from /proc/stat."""
    tick = os.sysconf("SC_CLK_TCK")
    used = dict.fromkeys((*KINDS, "other"), 0.0)
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue  # it ended meanwhile
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        kind = next((k for k in KINDS if name.startswith(k)), "other")
        used[kind] += (int(fields[11]) + int(fields[12])) / tick  # utime + stime
    first = Path("/proc/stat").read_text().splitlines()[0].split()
    used["idle"] = (int(first[4]) + int(first[5])) / tick  # idle + iowait, all CPUs
    return used


def cores_used(before: dict[str, float], after: dict[str, float],
               seconds: float) -> dict[str, float]:
    return {kind: max(after[kind] - before.get(kind, 0.0), 0.0) / seconds for kind in after
            if after[kind] - before.get(kind, 0.0) > 0.005 * seconds or kind == "idle"}


def lua_quote(data: bytes) -> str:
    """A Lua string literal for any bytes (LuaJIT has no \\u escapes): decimal escapes."""
    return '"' + "".join(chr(b) if 32 <= b < 127 and b not in (34, 92) else f"\\{b:03d}"
                         for b in data) + '"'


def lua_requests(path: Path, requests: list[tuple[str, dict[str, str], bytes]],
                 threads: int = 2) -> None:
    """A wrk script sending each of `requests` (target, headers, body: POSTs) once: thread k
    of `threads` walks k, k + threads, k + 2 * threads ... (wrk runs one Lua state per
    thread, and without a stride every thread would start at the first request). Past the
    end a thread wraps around, so the caller seeds more requests than a run can send."""
    lines = ["local reqs = {}"]
    for target, headers, body in requests:
        lines.append(f"reqs[#reqs+1] = wrk.format('POST', {json.dumps(target)}, {{"
                     + ", ".join(f"[{json.dumps(k)}]={json.dumps(v)}" for k, v in headers.items())
                     + "}, " + lua_quote(body) + ")")
    lines += ["local n = 0",
              "function setup(thread) n = n + 1; thread:set('id', n) end",
              "local i = nil",
              "request = function()",
              "  if i == nil then i = id end",
              "  local r = reqs[(i - 1) % #reqs + 1]",
              f"  i = i + {threads}",
              "  return r",
              "end"]
    path.write_text("\n".join(lines))
