"""`make run`'s three commands (db upgrade, demo, serve, all --embedded) on a fresh var/:
the root URL it prints answers with the front page (it was a 404), sign-up is open, and the
demo's invite link ends on a page, not an error."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import requests

from tests.conftest import REPO
from tests.test_deploy import free_port, wait_ready


def test_make_run_serves_the_front_page_sign_up_and_a_working_invite_link(tmp_path) -> None:
    port = str(free_port())
    env = {key: value for key, value in os.environ.items()
           if key not in ("DATABASE_URL", "SECRET_KEY", "HASH_KEY", "BASE_URL", "SANDBOX")}
    env.update({"VAR_DIR": str(tmp_path), "PORT": port, "ALLOW_SIGNUP": "1"})
    for args in (["db", "upgrade"], ["demo"]):
        subprocess.run([sys.executable, "-m", "fulfillment", "--embedded", *args], cwd=REPO,
                       env=env, check=True, capture_output=True, timeout=120)
    proc = subprocess.Popen([sys.executable, "-m", "fulfillment", "--embedded", "serve"],
                            cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    try:
        wait_ready(proc, port)
        base = f"http://127.0.0.1:{port}"
        front = requests.get(base + "/", timeout=10)
        assert front.status_code == 200 and "Create your shop" in front.text
        assert requests.get(base + "/signup", timeout=10).status_code == 200
        demo = subprocess.run([sys.executable, "-m", "fulfillment", "--embedded", "demo",
                               "--json"], cwd=REPO, env=env, check=True, capture_output=True,
                              text=True, timeout=120)
        link = json.loads(demo.stdout)["link"]
        followed = requests.get(link, timeout=10)
        assert followed.status_code == 200 and "Demo Shop" in followed.text
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=45)
    printed = proc.stdout.read().decode() if proc.stdout else ""
    assert f"Voice referrals on http://127.0.0.1:{port}" in printed
