"""A shop watches its program: KPIs from real events, a CSV export, and its voice packages
to download; only signed-in staff of that shop see it."""

from __future__ import annotations

import io
import re
import zipfile

from tests.support.events import ShopBackend


def sign_in(client, demo) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/console/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    client.post("/console/login", data={"email": demo["staff"]["email"],
                                        "password": demo["staff"]["password"],
                                        "csrf_token": token})


def test_the_dashboard_needs_a_signed_in_staff_member(client):
    assert client.get("/dashboard").status_code == 302


def test_kpis_follow_signups_and_orders(client, demo, clock):
    shop = ShopBackend(client, demo["webhook_secret"], clock)
    shop.signup("f1", demo["code"], email="f1@example.org")
    shop.order("f1", "o1", 6000)
    sign_in(client, demo)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Demo Shop" in page
    assert re.search(r'id="signups-demo">1', page) and re.search(r'id="conversions-demo">1',
                                                                   page)
    assert "$60.00" in page  # major units with the sign (issue 27)
    csv_text = client.get("/dashboard/demo/kpis.csv").get_data(as_text=True)
    assert "signups,1" in csv_text and "revenue_minor,6000" in csv_text


def test_the_voice_packages_download_as_zips(client, demo):
    sign_in(client, demo)
    response = client.get("/dashboard/demo/export/alexa.zip")
    names = zipfile.ZipFile(io.BytesIO(response.data)).namelist()
    assert "skill-package/skill.json" in names
    alice = zipfile.ZipFile(io.BytesIO(client.get("/dashboard/demo/export/alice.zip").data))
    assert "demo-alice/intents/ShareProgram.grammar" in alice.namelist()
    assert client.get("/dashboard/other/export/alexa.zip").status_code == 403


def test_a_customers_data_downloads_from_the_dashboard_and_waiting_erasures_show(
        client, demo, services):
    import json

    from sqlalchemy import select

    from core import privacy
    from core.models import Customer

    assert client.get("/dashboard/demo/customer-export?customer=alex").status_code == 302
    sign_in(client, demo)
    response = client.get("/dashboard/demo/customer-export?customer=alex")
    assert response.status_code == 200
    assert "attachment; filename=demo-alex-data.json" in response.headers["Content-Disposition"]
    document = json.loads(response.data)
    assert document["profile"]["email"] == "alex@example.com"
    assert client.get("/dashboard/demo/customer-export?customer=nobody").status_code == 404
    with services.db.session() as session:
        alex = session.scalar(select(Customer).where(Customer.external_id == "alex"))
        privacy.request_erasure(session, services, alex, source="voice")
    page = client.get("/dashboard").get_data(as_text=True)
    assert re.search(r'id="erasures-demo">1 erasure request waiting', page)
