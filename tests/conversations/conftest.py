"""Collects tests/conversations/*.yaml: one pytest item per file and assistant, each on a
fresh database with the demo shop, through the real webhooks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fulfillment.simulator import conversations
from tests.support.keys import HASH_KEY, SECRET_KEY


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.suffix == ".yaml" and file_path.parent.name == "conversations":
        return ConversationFile.from_parent(parent, path=file_path)
    return None


class ConversationFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        for name, spec, assistant in conversations.cases(self.path):
            yield ConversationItem.from_parent(self, name=name, spec=spec, assistant=assistant)


class ConversationItem(pytest.Item):
    def __init__(self, *, spec: dict[str, Any], assistant: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec, self.assistant = spec, assistant

    def runtest(self) -> None:
        from core import demo
        from core.clock import FrozenClock
        from core.config import Settings
        from core.db import Database
        from core.services import bootstrap
        from fulfillment.app import create_app
        from fulfillment.simulator.turns import Simulator
        from tests.conftest import BASE_URL, CLOCK_START

        tmp = self.config._tmp_path_factory.mktemp("conversation")  # type: ignore[attr-defined]
        db = Database(f"sqlite:///{tmp / 'conv.db'}")
        db.create_all()
        services = bootstrap(Settings(database_url=db.url, base_url=BASE_URL,
                                      secret_key=SECRET_KEY, hash_key=HASH_KEY,
                                      sandbox=True, embedded_worker=False), db=db,
                             clock=FrozenClock(CLOCK_START), background_clicks=False)
        try:
            demo.seed(services)
            simulator = Simulator(create_app(services=services), services)
            outcome = conversations.run_case(simulator, self.name, self.spec, self.assistant)
        finally:
            services.close()
            db.dispose()
        if not outcome.passed:
            raise ConversationFailed(outcome.failures)

    def repr_failure(self, excinfo: Any, style: Any = None) -> str:
        if isinstance(excinfo.value, ConversationFailed):
            return "\n".join(excinfo.value.args[0])
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"conversation: {self.name}"


class ConversationFailed(Exception):
    pass
