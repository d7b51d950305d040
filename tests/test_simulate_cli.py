"""Support staff run `simulate` and `test-conversations` from a shell: one JSON object with
what the platform answered and sent, and an exit code CI can use."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.support.keys import HASH_KEY, SECRET_KEY


@pytest.fixture
def demo_env(tmp_path: Path) -> dict[str, str]:
    import os

    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
           "BASE_URL": "https://refer.test", "EMBEDDED_WORKER": "0",
           "SECRET_KEY": SECRET_KEY, "HASH_KEY": HASH_KEY, "SANDBOX": "1"}
    for args in (["db", "upgrade"], ["demo"]):
        subprocess.run([sys.executable, "-m", "fulfillment", *args], cwd=REPO, env=env,
                       check=True, capture_output=True)
    return env


def run(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "fulfillment", *args], cwd=REPO, env=env,
                          input=stdin, capture_output=True, text=True, timeout=120)


def test_simulate_json_shows_intent_speech_messages_request_and_response(demo_env):
    out = run(demo_env, "simulate", "share the referral program", "--platform", "alexa",
              "--shop", "demo", "--locale", "en-US", "--user", "alex", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["intent"] == "ShareProgram" and data["end_session"] is False
    assert "Your code is" in data["speech"] and data["ssml"].startswith("<speak>")
    assert [(m["kind"], m["to"]) for m in data["messages"]] == [("invite_self",
                                                                 "+15555550100")]
    assert data["request"]["request"]["intent"]["name"] == "ShareProgram"
    assert data["response"]["response"]["outputSpeech"]["type"] == "SSML"


def test_without_an_utterance_simulate_is_a_repl_that_keeps_the_session(demo_env):
    out = run(demo_env, "simulate", "--platform", "alice", "--json",
              stdin="поделись реферальной программой\nда\n")
    lines = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert [line["intent"] for line in lines] == ["ShareProgram", "Yes"]
    assert "Назовите номер телефона" in lines[1]["speech"]


def test_test_conversations_exits_non_zero_on_a_failure_and_writes_junit(demo_env,
                                                                          tmp_path):
    good = run(demo_env, "test-conversations", "tests/conversations/cancel_en.yaml",
               "--junit", str(tmp_path / "good.xml"))
    assert good.returncode == 0, good.stdout
    assert 'failures="0"' in (tmp_path / "good.xml").read_text()
    bad_file = tmp_path / "bad.yaml"
    bad_file.write_text("shop: demo\nassistants: [alexa]\nturns:\n  - say: help\n"
                        "    expect: {intent: Stop}\n")
    bad = run(demo_env, "test-conversations", str(bad_file), "--junit",
              str(tmp_path / "bad.xml"))
    assert bad.returncode == 1 and "FAIL" in bad.stdout
    assert 'failures="1"' in (tmp_path / "bad.xml").read_text()


def test_simulate_on_a_database_without_tables_says_what_to_run(tmp_path: Path) -> None:
    import os

    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}",
           "BASE_URL": "https://refer.test", "EMBEDDED_WORKER": "0",
           "SECRET_KEY": SECRET_KEY, "HASH_KEY": HASH_KEY, "SANDBOX": "1"}
    out = run(env, "simulate", "share the referral program")
    assert out.returncode == 1
    assert "has no tables yet. Run `python -m fulfillment db upgrade` first" in out.stderr
    assert "Traceback" not in out.stderr + out.stdout
