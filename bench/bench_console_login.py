"""A wrong password for a known console email vs one for an unknown email: the answers must
take the same time, or the timing tells which accounts exist. Median of interleaved sign-ins
through the app (in-process, SQLite); the throttle's rows are cleared between tries so every
try reaches the password check. Target: unknown/known between 0.8 and 1.25."""

from __future__ import annotations

import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import inspect, text

from core import demo as demo_seed
from core.config import Settings
from core.db import Database
from core.services import bootstrap
from fulfillment.app import create_app
from tests.support.keys import HASH_KEY, SECRET_KEY

ROUNDS = 60
TARGET = (0.8, 1.25)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{tmp}/bench.db")
        db.create_all()
        services = bootstrap(Settings(database_url=db.url, base_url="http://127.0.0.1:1",
                                      secret_key=SECRET_KEY, hash_key=HASH_KEY,
                                      embedded_worker=False), db=db, background_clicks=False)
        demo = demo_seed.seed(services)
        client = create_app(services=services).test_client()
        page = client.get("/console/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        throttled = "login_throttles" in inspect(db.engine).get_table_names()
        times: dict[str, list[float]] = {"known": [], "unknown": []}
        for n in range(ROUNDS):
            for label, email in (("known", demo["staff"]["email"]),
                                 ("unknown", f"nobody{n}@demo-shop.example")):
                if throttled:
                    with db.engine.begin() as conn:
                        conn.execute(text("DELETE FROM login_throttles"))
                started = time.perf_counter()
                response = client.post("/console/login", data={
                    "email": email, "password": "wrong password", "csrf_token": token})
                elapsed = time.perf_counter() - started
                assert response.status_code == 401, response.status_code
                if n >= 5:  # warm-up
                    times[label].append(elapsed * 1000)
        services.close()
        db.dispose()
    known, unknown = (statistics.median(times[k]) for k in ("known", "unknown"))
    ratio = unknown / known
    print(f"console sign-in, wrong password: known email {known:.1f} ms, unknown email "
          f"{unknown:.1f} ms (median of {len(times['known'])}); unknown/known {ratio:.2f} "
          f"(target {TARGET[0]}-{TARGET[1]})")
    return 0 if TARGET[0] <= ratio <= TARGET[1] else 1


if __name__ == "__main__":
    raise SystemExit(main())
