"""Forms that help (issue 27): the currency is chosen from the ISO 4217 currencies in use
(the shop's own first) and a made-up one (`DOL`) is refused by the editor and the API
alike; the versions table shows money in major units with the currency's sign; defaults are
filled in as values (the Dialogflow ES header name, the CX audience) so a form left as shown
saves; a reserved address such as `demo` is said to be taken."""

from __future__ import annotations

import re

from core import referrals
from tests.support.staff import csrf, post
from tests.test_dashboard import sign_in
from tests.test_program_editor import FORM


def test_the_currency_is_a_select_with_the_shops_own_first(client, demo):
    sign_in(client, demo)
    page = client.get("/program/demo").get_data(as_text=True)
    select = re.search(r'<select name="currency" id="f-currency"[^>]*>(.*?)</select>', page,
                       re.S)
    assert select, "the currency is a select"
    options = re.findall(r'<option value="([A-Z]{3})"', select.group(1))
    assert options[0] == "USD" and {"EUR", "RUB", "JPY"} <= set(options)
    assert "DOL" not in options and "DEM" not in options  # made up; retired


def test_dol_is_refused_by_the_editor_and_the_api(client, demo):
    sign_in(client, demo)
    token = csrf(client, "/program/demo")
    page = client.post("/program/demo", data={**FORM, "csrf_token": token, "currency": "DOL"})
    assert page.status_code == 422
    assert 'data-field="currency"' in page.get_data(as_text=True)
    assert "currency in use" in page.get_data(as_text=True)
    api = client.put("/api/v1/program", headers={"Authorization": f"Bearer {demo['api_key']}"},
                     json={"currency": "DOL"})
    assert api.status_code == 422 and "currency" in str(api.get_json())


def test_the_versions_table_shows_money_in_major_units_with_the_sign(client, demo):
    sign_in(client, demo)
    token = csrf(client, "/program/demo")
    saved = client.post("/program/demo", data={**FORM, "csrf_token": token})
    assert saved.status_code == 303
    table = re.search(r'<table class="kpis" id="versions">(.*?)</table>',
                      client.get("/program/demo").get_data(as_text=True), re.S).group(1)
    assert "$12.50 amount off" in table and "$5.00 gift card" in table
    assert "$10.00 amount off" in table and "10% off" in table  # the demo's first version
    assert "1250" not in table and "1000" not in table


def test_dialogflow_defaults_are_values_and_a_form_left_as_shown_saves(client, demo,
                                                                      services):
    with services.db.session() as session:
        shop = referrals.shop_by_slug(session, "demo")
        shop.settings = {k: v for k, v in shop.settings.items()
                         if k not in ("dialogflow_es_header", "dialogflow_es_secret_hash",
                                      "dialogflow_audience")}
    services.shops.forget("demo")
    sign_in(client, demo)
    es = client.get("/connect/demo/dialogflow-es").get_data(as_text=True)
    header = re.search(r'name="dialogflow_es_header" id="f-dialogflow_es_header" '
                       r'value="([^"]*)"', es)
    assert header and header.group(1) == "X-Dialogflow-Secret"
    made = client.post("/connect/demo/dialogflow-es", data={
        "csrf_token": csrf(client, "/connect/demo/dialogflow-es"),
        "dialogflow_es_header": header.group(1), "dialogflow_es_secret": ""})
    assert made.status_code == 200 and '<code class="secret">' in made.get_data(as_text=True)
    cx = client.get("/connect/demo/dialogflow-cx").get_data(as_text=True)
    audience = re.search(r'name="dialogflow_audience" id="f-dialogflow_audience" '
                         r'value="([^"]*)"', cx)
    assert audience and audience.group(1).endswith("/dialogflow/demo")


def test_a_reserved_address_is_said_to_be_taken(client, services):
    services.settings = services.settings.with_(allow_signup=True)
    page = post(client, "/signup", {"name": "Demo", "slug": "demo", "email": "d@x.example",
                                    "password": "violet-harbour-lantern-42"}, page="/signup")
    text = page.get_data(as_text=True)
    assert "That address is taken" in text and "lowercase letters" not in text
