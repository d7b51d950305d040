"""Ours against a straightforward implementation of the same work, in one run: the servers
run side by side and wrk loads them in interleaved rounds (hello, baseline, ours, hello,
...), so a neighbour's load on a shared machine falls on every subject alike; each figure
is printed as min / median / max over the rounds, and the ratio is taken round by round.

A subject gives a fresh wrk script per round (`script(round, expected_rate)`: requests
nobody has sent yet, sized from the rate measured so far) and, optionally, the rows its
rounds wrote (`rows()`), which are compared with the responses wrk counted."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.harness import CONNECTIONS_DEFAULT, Memory, Server, WrkResult, memory_of, wrk

# A request in flight when wrk stops is written but not counted: every connection has one
# (the server is the bottleneck), and wrk drops a few answers that arrive as it stops.
ROW_SLACK = CONNECTIONS_DEFAULT + 4
SETTLE = 1.0  # seconds for requests in flight at the stop to land (and clicks to flush)


@dataclass
class Subject:
    label: str
    server: Server
    path: str
    script: Callable[[int, float], str | None] = lambda _round, _rate: None
    rows: Callable[[], int] | None = None  # rows written so far by this subject's requests
    rows_per_response: int = 1
    results: list[WrkResult] = field(default_factory=list)
    written: int = 0  # rows written during the measured rounds
    responses: int = 0
    master: Memory | None = None  # the gunicorn master's, after the last round

    def total_pss(self) -> float:
        """What the whole server costs the machine: every process's proportional share."""
        workers = self.results[-1].memory if self.results else ()
        return sum(m.pss_mb for m in workers) + (self.master.pss_mb if self.master else 0.0)

    def rate(self) -> float:
        return max((r.rps for r in self.results), default=0.0)


def interleave(subjects: list[Subject], *, rounds: int, seconds: int, warm_seconds: int = 2,
               first_rate: float = 1000.0, connections: int = CONNECTIONS_DEFAULT) -> None:
    """A short warm-up each (not counted), then `rounds` rounds of every subject in turn;
    the order rotates each round so none always follows the same neighbour."""
    estimates = {}
    for subject in subjects:
        warm = wrk(f"warm-up {subject.label}", subject.server + subject.path,
                   seconds=warm_seconds, script=subject.script(-1, first_rate / 2),
                   connections=connections)
        estimates[subject.label] = max(warm.rps, 50.0)
    for n in range(rounds):
        order = subjects[n % len(subjects):] + subjects[:n % len(subjects)]
        for subject in order:
            script = subject.script(n, estimates[subject.label])
            # the last round's requests still in flight have landed by now (SETTLE)
            before = subject.rows() if subject.rows else 0
            result = wrk(subject.label, subject.server + subject.path, seconds=seconds,
                         script=script, connections=connections, server=subject.server)
            if subject.rows:
                time.sleep(SETTLE)
                subject.written += subject.rows() - before
            subject.responses += result.requests
            subject.results.append(result)
            # the fastest round so far: a round sized from a slow one would run out of
            # fresh requests and repeat them (the rows check would say so)
            estimates[subject.label] = max(estimates[subject.label], result.rps)
    for subject in subjects:
        subject.master = memory_of(subject.server.proc.pid)


def spread(values: list[float], fmt: str = "{:.0f}") -> str:
    if not values:
        return "-"
    return "/".join(fmt.format(v) for v in (min(values), statistics.median(values),
                                            max(values)))


def ratios(subject: Subject, baseline: Subject) -> list[float]:
    return [a.rps / b.rps for a, b in zip(subject.results, baseline.results, strict=True)
            if b.rps]


def rows_line(subject: Subject) -> tuple[str, bool]:
    """Rows written against responses counted: equal, but for requests in flight when a
    round stopped (written, not counted: at most one per connection per round)."""
    if subject.rows is None:
        return "", True
    want = subject.responses * subject.rows_per_response
    slack = ROW_SLACK * len(subject.results) * subject.rows_per_response
    ok = want <= subject.written <= want + slack
    return (f"{subject.label}: {subject.written} rows for {subject.responses} responses "
            f"(x{subject.rows_per_response}, + at most {slack} in flight): "
            f"{'ok' if ok else 'MISMATCH'}"), ok


def table(title: str, floor: Subject, pairs: list[tuple[Subject, Subject]],
          postgres: bool = False) -> bool:
    """Prints the comparison; returns whether every subject's rows matched its responses
    and no request failed."""
    print(f"\n{title} ({len(floor.results)} interleaved rounds; min/median/max; CPU: the "
          "server's master and workers per response)")
    head = (f"{'subject':<38} {'req/s':>16} {'vs base':>16} {'p99 ms':>7} {'CPU ms/resp':>15}"
            f" {'PG ms/resp':>10}  worker memory (last round)")
    print(head)
    ok = True
    for subject in [floor, *[s for pair in pairs for s in pair]]:
        rps = [r.rps for r in subject.results]
        p99 = statistics.median([r.p99_ms for r in subject.results])
        cpu = [r.server_cpu_ms for r in subject.results if r.server_cpu_ms is not None]
        versus = ""
        pair_base = next((b for b, s in pairs if s is subject), None)
        if pair_base is not None:
            versus = spread(ratios(subject, pair_base), "{:.2f}") + "x"
        memory = subject.results[-1].memory if subject.results else ()
        mem = "; ".join(str(m) for m in memory)
        db_ms = _postgres_ms(subject.results) if postgres else "-"
        print(f"{subject.label:<38} {spread(rps):>16} {versus:>16} {p99:7.2f} "
              f"{spread(cpu, '{:.2f}'):>15} {db_ms:>10}  {mem}")
        ok &= all(r.errors == 0 for r in subject.results)
    for base, subject in pairs:
        cpu_ratio = _median_ratio([r.server_cpu_ms for r in subject.results],
                                  [r.server_cpu_ms for r in base.results])
        uss = _median_ratio([m.uss_mb for r in subject.results[-1:] for m in r.memory],
                            [m.uss_mb for r in base.results[-1:] for m in r.memory])
        rss = _median_ratio([m.rss_mb for r in subject.results[-1:] for m in r.memory],
                            [m.rss_mb for r in base.results[-1:] for m in r.memory])
        print(f"  {subject.label} / {base.label}: throughput "
              f"{statistics.median(ratios(subject, base) or [0]):.2f}x, CPU per response "
              f"{cpu_ratio:.2f}x, worker USS {uss:.2f}x, RSS {rss:.2f}x; whole server (master "
              f"+ workers, PSS) {subject.total_pss():.0f} vs {base.total_pss():.0f} MB")
    for subject in [s for pair in pairs for s in pair]:
        if subject.master is not None:
            print(f"  {subject.label}: gunicorn master {subject.master}")
    for subject in [s for pair in pairs for s in pair]:
        line, matched = rows_line(subject)
        if line:
            print("  " + line)
        ok &= matched
    return ok


def _postgres_ms(results: list[WrkResult]) -> str:
    """PostgreSQL's CPU per response (all its processes), median over the rounds."""
    per = [1000 * (r.cpu_cores or {}).get("postgres", 0.0) / r.rps for r in results if r.rps]
    return f"{statistics.median(per):.2f}" if per and max(per) > 0.01 else "-"


def _median_ratio(ours: list[float | None], theirs: list[float | None]) -> float:
    a = [v for v in ours if v is not None]
    b = [v for v in theirs if v is not None]
    if not a or not b or not statistics.median(b):
        return 0.0
    return statistics.median(a) / statistics.median(b)
