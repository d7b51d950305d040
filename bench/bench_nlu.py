"""Local NLU per utterance, read against the same held-out utterances run through a baseline
checkout (BENCH_BASELINE_REF, default `main`) in the same go: time per utterance (best of
five passes, warm), intent accuracy and slot exact match, before and after.

    python bench/bench_nlu.py            # this checkout against main
    BENCH_BASELINE_REF=<commit> python bench/bench_nlu.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import REPO

# Runs inside a checkout: only `from voice.nlu import understand`, which every version has.
PROBE = r"""
import json, sys, time
from voice.nlu import understand
items = json.loads(sys.stdin.read())
for locale in sorted({i[1] for i in items}):
    understand("warm up", locale)
best = None
for _ in range(5):
    started = time.perf_counter()
    out = [understand(text, locale) for text, locale, _, _ in items]
    took = time.perf_counter() - started
    best = took if best is None else min(best, took)
pairs = list(zip(out, items))
slot_pairs = [(o, i) for o, i in pairs if i[3] or o.slots]
print(json.dumps({
    "us": 1e6 * best / len(items),
    "intent": sum(o.intent == i[2] for o, i in pairs) / len(items),
    "slots": sum(dict(o.slots) == i[3] for o, i in slot_pairs) / max(1, len(slot_pairs)),
}))
"""


def held_out() -> list[tuple[str, str, str, dict[str, str]]]:
    from voice.nlu.evaluation import load_cases

    cases = load_cases(sorted((REPO / "tests" / "nlu").glob("*.yaml")))
    return [(c.text, c.locale, c.intent, c.slots) for c in cases]


def probe(checkout: Path, items: list) -> dict[str, float]:
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=checkout, input=json.dumps(items),
                            capture_output=True, text=True, check=True, timeout=600)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> int:
    ref = os.environ.get("BENCH_BASELINE_REF", "main")
    items = held_out()
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "archive", ref], cwd=REPO, capture_output=True,
                                 check=True).stdout
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(tmp, filter="data")
        before = probe(Path(tmp), items)
    after = probe(REPO, items)
    print(f"local NLU on {len(items)} held-out utterances (tests/nlu), baseline {ref}")
    print(f"{'':10} {'µs/utt':>8} {'intent':>7} {'slots':>6}")
    for label, row in ((ref, before), ("this", after)):
        print(f"{label[:10]:10} {row['us']:>8.1f} {row['intent']:>7.3f} {row['slots']:>6.3f}")
    print(f"time ratio this/{ref}: {after['us'] / before['us']:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
