"""lamina's optimizers follow PyTorch's trajectories (tests/fixtures/make_optimizers.py)."""

from pathlib import Path

import numpy as np
import pytest

from tests.optimizers.trajectory import check_trajectory

FIXTURE = np.load(Path(__file__).parents[1] / "fixtures" / "optimizers.npz")
CASES = sorted({k.split("/")[0] for k in FIXTURE.files if "/" in k})


@pytest.mark.parametrize("case", CASES)
def test_matches_pytorch_over_20_steps(case):
    check_trajectory(FIXTURE, case)


def test_fixture_covers_the_acceptance_cases():
    for case in ["sgd_momentum", "sgd_nesterov", "rmsprop", "adam", "adam_amsgrad", "adamw",
                 "adamax", "adadelta"]:  # fmt: skip
        assert case in CASES
