"""Where a study lives, and how its trials are counted so that a search resumes exactly.

A study is kept by Optuna's relational storage: by default a SQLite file,
``sqlite:///{directory}/{study_name}.db``, embedded and enough for a few processes on one
machine; a PostgreSQL or MySQL URL (``postgresql://user:password@host/db``) lets processes on
several machines share it. Each process that runs trials sends a heartbeat; a trial whose
process died (killed, out of memory, machine lost) stops beating, is marked FAIL by the next
process that looks, and is queued again with the same parameters (Optuna's
``RetryHeartbeatStaleTrialCallback``), so it is neither lost nor counted twice.

``n_trials`` counts a study's trials, not one call's: every trial counts except a failed one
that was queued again and a surplus one (a trial another worker started after the count was
already reached; it is stopped at once and marked FAIL with the user attribute
``lamina_surplus``).

>>> default_url("runs", "mnist")
'sqlite:///runs/mnist.db'
"""

from __future__ import annotations

import os
import warnings
from typing import Any

from lamina.selection._deps import optuna

SURPLUS = "lamina_surplus"


def default_url(directory: str, study_name: str) -> str:
    """The SQLite file a study lives in unless told otherwise."""
    return f"sqlite:///{os.path.join(directory, study_name)}.db"


def open_storage(storage: Any, heartbeat_interval: int | None = 10, max_retry: int = 3):
    """An Optuna storage: a URL becomes an ``RDBStorage`` with heartbeats and a retry of the
    trials of dead processes; a storage object is used as it is."""
    opt = optuna()
    if not isinstance(storage, str):
        return storage
    engine_kwargs = {}
    if storage.startswith("sqlite"):
        path = storage.split(":///", 1)[-1]
        if path and path != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        # several processes write to one file: wait for the lock instead of failing at once
        engine_kwargs = {"connect_args": {"timeout": 60}}
    kwargs = {}
    if heartbeat_interval:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", opt.exceptions.ExperimentalWarning)
            retry_class = getattr(opt.storages, "RetryHeartbeatStaleTrialCallback", None)
            if retry_class is not None:  # Optuna >= 4.9
                kwargs["heartbeat_stale_trial_callback"] = retry_class(max_retry=max_retry)
            else:
                retry = opt.storages.RetryFailedTrialCallback(max_retry=max_retry)
                kwargs["failed_trial_callback"] = retry
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", opt.exceptions.ExperimentalWarning)
        rdb = opt.storages.RDBStorage(
            storage, engine_kwargs=engine_kwargs, heartbeat_interval=heartbeat_interval, **kwargs
        )
    if storage.startswith("sqlite"):
        _fast_sqlite(rdb.engine)
    return rdb


def _fast_sqlite(engine) -> None:
    """Write-ahead logging with ``synchronous=NORMAL``: a commit no longer waits for the disk
    (a trial makes dozens), readers do not block the writer, and a killed process loses
    nothing (only a power cut may lose the last commits; the file stays consistent)."""
    from sqlalchemy import event

    def on_connect(connection, _record):
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    event.listen(engine, "connect", on_connect)
    engine.dispose()  # connections made before the listener get it when reopened


def close_storage(storage) -> None:
    """Drop the storage's pooled connections (before forking workers, and when done)."""
    engine = getattr(storage, "engine", None)
    if engine is not None:
        engine.dispose()


def heartbeat_enabled(storage) -> bool:
    """Whether ``storage`` (or the storage a study wraps it in) records heartbeats."""
    storage = getattr(storage, "_backend", storage)  # a study caches its RDBStorage
    return bool(getattr(storage, "heartbeat_interval", None))


def fail_stale_trials(study) -> None:
    """Mark FAIL (and queue again) the RUNNING trials whose process stopped beating."""
    opt = optuna()
    if heartbeat_enabled(study._storage):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", opt.exceptions.ExperimentalWarning)
            opt.storages.fail_stale_trials(study)


def counted(trials) -> list:
    """The trials that count towards ``n_trials``: all but failed ones queued again and
    surplus ones."""
    state = optuna().trial.TrialState
    retried = {n for t in trials for n in t.system_attrs.get("retry_history", ())}
    return [
        t
        for t in trials
        if not (t.state == state.FAIL and (t.number in retried or t.user_attrs.get(SURPLUS)))
    ]


def is_surplus(trials, number: int, n_trials: int) -> bool:
    """Whether trial ``number`` would exceed ``n_trials``: trial numbers are handed out in
    order by the storage, so the trials that count and come before it decide."""
    return sum(t.number < number for t in counted(trials)) >= n_trials
