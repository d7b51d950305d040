"""Schemathesis over /api/v1/openapi.json, against the Flask app in-process (WSGI), signed in
as the demo shop: every operation, schema-valid and schema-invalid inputs, every one of
schemathesis's response checks — no 5xx, answers within the status codes, headers and
schemas the document publishes, invalid input refused, 405s with Allow.

Bounded: EXAMPLES examples per operation and mode (about a minute in all). The run collects
every distinct failure before failing, so one run names them all."""

from __future__ import annotations

import json
import os
from collections import Counter
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.core import NOT_SET
from schemathesis.core.failures import FailureGroup
from schemathesis.openapi.checks import RejectedPositiveData

from core.webhook_signing import HEADER, sign_header

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES") or 40)  # more for a long run
MODES = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
# Checked beyond what JSON Schema says: real addresses and numbers; a percent reward's
# amount against the kind the program will have after a partial update; a KPI range that
# ends before it starts; a store address that must be a real public https host.
SEMANTIC_FIELDS = {"email", "phone", "customer.email", "customer.phone",
                   "referrer_reward_amount", "friend_reward_amount", "from", "to",
                   "store_url", "shop_domain", "api_version"}


@pytest.fixture
def api_schema(app, demo):  # type: ignore[no-untyped-def]
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


def _event_kwargs(case: Any, secret: str, now: int, *, demo_shop: bool,
                  sign: bool) -> dict[str, Any]:
    """The event signature covers the exact bytes, so they are serialized and signed here.
    Half the cases name the demo shop, so the signed path past the shop lookup is reached."""
    body = case.body
    if demo_shop and isinstance(body, dict):
        body = {**body, "shop": "demo"}
    if body is NOT_SET:
        raw = b""
    elif isinstance(body, bytes | str):  # a negative case may send a non-JSON body
        raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    else:
        raw = json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if sign:
        headers[HEADER] = sign_header([secret], now, raw)
    return {"data": raw, "headers": headers}


def _semantic_refusal(problem: BaseException, response: Any) -> bool:
    """Two refusals of schema-valid data are right, and the document says so: a string with
    a NUL or an unpaired surrogate is a 400 at the edge (info.description), and a field in
    SEMANTIC_FIELDS that fails its business check is a 422 naming it (JSON Schema cannot say
    what a dialable number is). Any other refusal of schema-valid data still fails."""
    if not isinstance(problem, RejectedPositiveData):
        return False
    error = response.json()["error"]
    if response.status_code == 400:
        return error["code"] == "invalid_characters"
    fields = set((error.get("details") or {}).get("fields", []))
    return response.status_code == 422 and bool(fields) and fields <= SEMANTIC_FIELDS


def run_operation(operation: Any, mode: GenerationMode, keys: dict[str, str], now: int,
                  failures: dict[str, str], statuses: Counter[int]) -> int:
    calls = 0

    def exercise(case: Any) -> None:
        nonlocal calls
        calls += 1
        negated = operation.schema.is_security_param_negated(case)  # a case about 401
        if operation.path == "/api/v1/events":
            kwargs = _event_kwargs(case, keys["webhook_secret"], now, demo_shop=calls % 2 == 0,
                                   sign=not negated)
        else:
            kwargs = {"headers": {} if negated else
                      {"Authorization": f"Bearer {keys['api_key']}"}}
        response = case.call(**kwargs)
        statuses[response.status_code] += 1
        rotated = response.json() if response.status_code == 200 and \
            case.method == "POST" and operation.path.endswith("/rotate") else {}
        keys.update(rotated)  # api_key or webhook_secret: later cases stay signed in
        try:
            case.validate_response(response, headers=kwargs["headers"],
                                   transport_kwargs=kwargs)
        except (AssertionError, FailureGroup) as exc:
            problems = list(exc.exceptions) if isinstance(exc, FailureGroup) else [exc]
            for problem in problems:
                if _semantic_refusal(problem, response):
                    continue
                key = f"{operation.method.upper()} {operation.path} ({mode.value}): " + \
                    (getattr(problem, "title", "") or str(problem).strip().splitlines()[0])
                failures.setdefault(key, f"{response.status_code} {case.as_curl_command()}\n"
                                         f"{str(problem)[:1500]}")

    # The coverage phase: boundary and just-outside values of every parameter (limit=0,
    # after=-1, ...), as schemathesis's own runner starts with. Deterministic.
    generation = operation.schema.config.generation_for(operation=operation)
    for case in operation.schema.iter_coverage_cases(operation, generation_modes=[mode],
                                                     generation_config=generation):
        exercise(case)
    # Then random examples.
    settings(max_examples=EXAMPLES, deadline=None, database=None,
             phases=[Phase.explicit, Phase.generate],
             suppress_health_check=list(HealthCheck))(
        given(case=operation.as_strategy(generation_mode=mode))(exercise))()
    return calls


def test_the_api_answers_every_input_within_its_document(api_schema, demo, clock):
    keys = {"api_key": demo["api_key"], "webhook_secret": demo["webhook_secret"]}
    failures: dict[str, str] = {}
    statuses: Counter[int] = Counter()
    calls = 0
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 13
    for operation in operations:
        for mode in MODES:
            calls += run_operation(operation, mode, keys, int(clock().timestamp()), failures,
                                   statuses)
    server_errors = sum(n for status, n in statuses.items() if status >= 500)
    print(f"schemathesis: {calls} cases, {server_errors} answered 5xx, "
          f"{len(failures)} distinct failures; statuses {dict(sorted(statuses.items()))}")
    assert calls >= len(operations) * len(MODES) * 10
    assert not failures, "\n\n".join(f"{k}\n{v}" for k, v in failures.items())
