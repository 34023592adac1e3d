"""Resuming a killed search, two processes on one study, and the trial count behind both."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lamina.selection import Tuner
from lamina.selection import storage as storage_lib
from tests.selection import task

optuna = pytest.importorskip("optuna")
pytest.importorskip("sklearn")

ROOT = Path(__file__).resolve().parents[2]
FIT = {"epochs": task.EPOCHS, "batch_size": 8}


def trial(number, state, **kwargs):
    frozen = optuna.trial.create_trial(state=getattr(optuna.trial.TrialState, state), **kwargs)
    frozen.number = number
    return frozen


def test_the_trial_count_skips_retried_failures_and_surplus_trials():
    trials = [
        trial(0, "COMPLETE", value=1.0),
        trial(1, "FAIL"),  # its process died; queued again as trial 3
        trial(2, "PRUNED", value=2.0),
        trial(3, "WAITING", system_attrs={"failed_trial": 1, "retry_history": [1]}),
        trial(4, "FAIL", user_attrs={storage_lib.SURPLUS: True}),
        trial(5, "FAIL"),  # failed in build_model or fit: it counts
        trial(6, "RUNNING"),
    ]
    assert [t.number for t in storage_lib.counted(trials)] == [0, 2, 3, 5, 6]
    assert not storage_lib.is_surplus(trials, 6, n_trials=5)  # 4 counted trials before it
    assert storage_lib.is_surplus(trials, 6, n_trials=4)


def poll(storage, until, timeout=300):
    """The study's trials once ``until(trials)`` holds (the search runs in another process)."""
    reader = optuna.storages.RDBStorage(storage)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            try:
                trials = optuna.load_study(study_name="study", storage=reader).trials
            except KeyError:  # not created yet
                trials = []
            if until(trials):
                return trials
            time.sleep(0.05)
    finally:
        reader.engine.dispose()
    raise AssertionError(f"timed out waiting for the search process: {trials}")


def states(trials):
    return [t.state.name for t in trials]


def test_a_killed_search_resumes_without_repeating_finished_trials(tmp_path):
    storage = f"sqlite:///{tmp_path}/study.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # the schema first: two processes creating it at once race on optuna's version table
    optuna.storages.RDBStorage(storage).engine.dispose()
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.selection.task", storage, "8", "0.05"], cwd=ROOT, env=env
    )
    try:
        # kill it (SIGKILL: no cleanup) after 3 finished trials, in the middle of the 4th
        poll(storage, lambda ts: states(ts).count("COMPLETE") >= 3
             and any(t.state.name == "RUNNING" and t.params for t in ts))  # fmt: skip
    finally:
        process.kill()
        process.wait()
    killed_at = poll(storage, lambda ts: True)  # as the dead process left it
    finished = {t.number: (t.params, t.value, t.datetime_complete)
                for t in killed_at if t.state.name == "COMPLETE"}  # fmt: skip
    orphans = [t.number for t in killed_at if t.state.name == "RUNNING"]
    assert len(finished) >= 3 and len(orphans) == 1

    x, y, xv, yv = task.data()
    tuner = Tuner(task.build_model, storage=storage, sampler="random", seed=1, pruner=None,
                  heartbeat_interval=1, save_models=False, verbose=0)  # fmt: skip
    tuner.search(x, y, n_trials=8, validation_data=(xv, yv), **FIT)
    trials = tuner.study.trials
    done = [t for t in trials if t.state.name == "COMPLETE"]
    assert len(done) == 8
    for number, record in finished.items():  # untouched, not run again
        t = trials[number]
        assert (t.params, t.value, t.datetime_complete) == record
    orphan = trials[orphans[0]]
    assert orphan.state.name == "FAIL"  # marked failed once its heartbeat went stale ...
    retries = [t for t in done if t.system_attrs.get("failed_trial") == orphan.number]
    assert len(retries) == 1 and retries[0].params == orphan.params  # ... and run again
    assert len(trials) == 9  # 8 that count + the dead one
    assert [r["trial"] for r in tuner.results()] == list(range(9))


def test_two_worker_processes_share_one_study(tmp_path):
    x, y, xv, yv = task.data()
    tuner = Tuner(task.build_model, directory=str(tmp_path), sampler="random", seed=0,
                  n_jobs=2, heartbeat_interval=1, verbose=0)  # fmt: skip
    table = tuner.search(x, y, n_trials=8, validation_data=(xv, yv),
                         callbacks=[task.slow(0.05)], **FIT)  # fmt: skip
    trials = tuner.study.trials
    assert len(storage_lib.counted(trials)) == 8
    assert [r["trial"] for r in table] == sorted({r["trial"] for r in table})
    assert len(table) == 8 and all(r["state"] in ("COMPLETE", "PRUNED") for r in table)
    pids = {t.user_attrs["pid"] for t in trials if "pid" in t.user_attrs}
    assert len(pids) == 2 and os.getpid() not in pids  # both workers ran trials
    # seeds 0 and 1: the workers draw different configurations, none is run twice
    assert len({tuple(r["params"].values()) for r in table}) == 8
    model = tuner.best_model()  # saved by whichever worker ran it
    assert model.evaluate(xv, yv, verbose=0)[0] == pytest.approx(tuner.best_score, rel=1e-5)


def test_a_failing_worker_is_reported(tmp_path):
    x, y, xv, yv = task.data()

    def broken(hp):
        model = task.build_model(hp)
        if hp.trial is not None:  # the check run on the defaults passes; trials break
            raise RuntimeError("build_model broke")
        return model

    tuner = Tuner(broken, directory=str(tmp_path), n_jobs=2, verbose=0)
    with pytest.raises(RuntimeError, match="search worker [01] failed:(.|\n)*build_model broke"):
        tuner.search(x, y, n_trials=2, validation_data=(xv, yv))
