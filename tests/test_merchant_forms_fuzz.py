"""No field value makes the merchant pages answer 500: the program editor (form and
preview), the connect pages (form and try-it) and the KPI filters, with whatever
hypothesis sends. A 400 is the edge's refusal of NULs and lone surrogates
(fulfillment/edge/input_limits.py), with its JSON error."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_dashboard import sign_in
from tests.test_program_editor import FORM

FUZZ = settings(max_examples=40, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture])
text = st.text(max_size=40) | st.sampled_from(["", "0", "-1", "1e99", "NaN", "Infinity",
                                               "10.005", "９", "\x00", "1" * 30, "percent_discount",
                                               "gift_card", "block", "USD", "7"])
json_value = st.none() | st.booleans() | st.integers() | st.floats() | text | \
    st.lists(st.integers(), max_size=3) | st.dictionaries(st.text(max_size=5), st.integers(),
                                                          max_size=2)
PROGRAM_FIELDS = sorted(FORM)
CONNECT_FIELDS = ["alexa_skill_id", "dialogflow_es_header", "dialogflow_es_secret",
                  "dialogflow_basic_user", "dialogflow_basic_password", "dialogflow_audience",
                  "dialogflow_service_agent", "alice_skill_id", "alice_oauth_token",
                  "regenerate"]


@pytest.fixture
def signed_in(client, demo):  # type: ignore[no-untyped-def]
    sign_in(client, demo)
    page = client.get("/program/demo").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    return client, token


def _sqlite_only(request) -> None:  # type: ignore[no-untyped-def]
    if "postgresql" in request.node.name:
        pytest.skip("the fuzz runs once, on SQLite: it is about the views, not the engine")


@FUZZ
@given(changes=st.dictionaries(st.sampled_from(PROGRAM_FIELDS), text, max_size=6))
def test_program_form_values_never_500(request, signed_in, changes):
    _sqlite_only(request)
    client, token = signed_in
    answer = client.post("/program/demo", data={**FORM, **changes, "csrf_token": token})
    assert answer.status_code in (303, 400, 422)


@FUZZ
@given(body=st.dictionaries(st.sampled_from(PROGRAM_FIELDS) | st.text(max_size=8), json_value,
                            max_size=8) | json_value)
def test_program_preview_bodies_never_500(request, signed_in, body):
    _sqlite_only(request)
    client, token = signed_in
    answer = client.post("/program/demo/preview", json=body, headers={"X-CSRF-Token": token})
    assert answer.status_code in (200, 400)


@FUZZ
@given(platform=st.sampled_from(["alexa", "dialogflow-es", "dialogflow-cx", "alice"]),
       form=st.dictionaries(st.sampled_from(CONNECT_FIELDS), text, max_size=5))
def test_connect_form_values_never_500(request, signed_in, platform, form):
    _sqlite_only(request)
    client, token = signed_in
    answer = client.post(f"/connect/demo/{platform}", data={**form, "csrf_token": token})
    assert answer.status_code in (200, 400, 422)


@FUZZ
@given(platform=st.sampled_from(["alexa", "dialogflow-es", "alice"]),
       body=st.fixed_dictionaries({}, optional={"text": json_value, "locale": json_value,
                                                "user": json_value, "es_secret": json_value}))
def test_try_it_bodies_never_500(request, signed_in, platform, body):
    _sqlite_only(request)
    client, token = signed_in
    answer = client.post(f"/connect/demo/{platform}/try", json=body,
                         headers={"X-CSRF-Token": token})
    assert answer.status_code in (200, 400, 403, 404, 422), answer.get_data(as_text=True)


@FUZZ
@given(query=st.dictionaries(st.sampled_from(["from", "to", "interval"]),
                             text | st.dates().map(str) | st.sampled_from(
                                 ["9999-12-31", "0001-01-01", "2026-11-24"]), max_size=3))
def test_kpi_filters_never_500(request, signed_in, demo, query):
    _sqlite_only(request)
    client, _ = signed_in
    assert client.get("/dashboard/demo", query_string=query).status_code in (200, 400, 422)
    assert client.get("/dashboard/demo/kpis.csv",
                      query_string=query).status_code in (200, 400, 422)
    api = client.get("/api/v1/kpis", query_string=query,
                     headers={"Authorization": f"Bearer {demo['api_key']}"})
    assert api.status_code in (200, 400, 422)
