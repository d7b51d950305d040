"""gunicorn hooks for an app built once in the master and forked into every worker
(`preload_app`): the code and the app's tables are then shared copy-on-write instead of
each worker building its own copy, and so are the translation catalogs, compiled here
before the first fork. Used by `python -m fulfillment serve`
(fulfillment.serving.gunicorn) and usable as a config module:
`gunicorn -c python:fulfillment.serving.preload fulfillment.wsgi:app`.

Nothing the master opened may be shared by mistake: the master gives back its pooled
database connections before each fork, and each child resets what it inherited (new
connections, lock files, click and status queues with their own threads: core.forking);
`random` reseeds itself in a child (CPython's own at-fork hook). The master's objects are
moved out of the collector's reach (gc.freeze) so a worker's collections do not write to,
and so copy, every shared page."""

from __future__ import annotations

import gc
from typing import Any

preload_app = True


def _services(server: Any) -> Any:
    app = server.app.wsgi()
    return getattr(app, "extensions", {}).get("referrals.services")


def when_ready(server: Any) -> None:
    """Once, in the master, after the app is built and before the first fork: what every
    worker would otherwise load on its first turn is loaded here, once (the catalogs)."""
    from voice import i18n
    from voice.nlu.understanding import warm as warm_understanding

    i18n.warm()
    warm_understanding()  # the local understanding's indexes: seconds, not on a first turn
    services = _services(server)
    if services is not None:
        services.db.engine.dispose()
    gc.collect()
    gc.freeze()


def pre_fork(server: Any, _worker: Any) -> None:
    """Before every fork (a respawned worker too): no pooled connection crosses it."""
    services = _services(server)
    if services is not None:
        services.db.engine.dispose()


def worker_exit(_server: Any, worker: Any) -> None:
    """Flush this worker's queued clicks and statuses."""
    app = getattr(worker, "wsgi", None)
    services = getattr(app, "extensions", {}).get("referrals.services")
    if services is not None:
        services.close()
