"""lamina's optimizers follow Keras 3's trajectories where PyTorch has no counterpart or places
epsilon elsewhere (tests/fixtures/make_keras_optimizers.py)."""

import json
from pathlib import Path

import numpy as np
import pytest

from tests.optimizers.trajectory import check_trajectory

FIXTURE = np.load(Path(__file__).parents[1] / "fixtures" / "keras_optimizers.npz")
CASES = sorted({k.split("/")[0] for k in FIXTURE.files if "/" in k} - {"schedule"})


@pytest.mark.parametrize("case", CASES)
def test_matches_keras_over_20_steps(case):
    check_trajectory(FIXTURE, case)


def test_fixture_covers_the_new_optimizers():
    classes = {json.loads(str(FIXTURE[f"{c}/config"]))["class_name"] for c in CASES}
    assert classes == {"Adamax", "Adadelta", "Lion", "Ftrl"}
    assert {"lion_weight_decay", "lion_clipvalue", "adamax_restarts_global_clipnorm"} <= set(CASES)
