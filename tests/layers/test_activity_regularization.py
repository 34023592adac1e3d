import os

import numpy as np
import pytest

import lamina
from lamina.layers import ActivityRegularization, Dense, Embedding, Input, get_mask
from lamina.models import Sequential
from tests.helpers import check_layer

FIXTURE = np.load(os.path.join(os.path.dirname(__file__), "..", "fixtures", "core_layers.npz"))


def test_check_layer():
    assert check_layer(lambda: ActivityRegularization(l1=0.01, l2=0.02), (4, 3))


@pytest.mark.parametrize("l1, l2", [(0.01, 0.0), (0.0, 0.02), (0.03, 0.05)])
def test_penalty_matches_keras(l1, l2):
    x = FIXTURE["activity_x"]
    layer = ActivityRegularization(l1=l1, l2=l2)
    np.testing.assert_array_equal(layer(x).numpy(), x)
    (penalty,) = layer.losses
    expected = (l1 * np.abs(x).sum() + l2 * (x**2).sum()) / len(x)
    assert penalty.item() == pytest.approx(expected, rel=1e-5)
    assert penalty.item() == pytest.approx(float(FIXTURE[f"activity_loss_{l1}_{l2}"]), rel=1e-5)


def test_penalty_is_recomputed_at_every_call():
    layer = ActivityRegularization(l2=1.0)
    layer(np.ones((2, 3), np.float32))
    layer(np.full((2, 3), 2.0, np.float32))
    assert [p.item() for p in layer.losses] == [12.0]


def test_penalty_enters_training_and_shrinks_activations():
    lamina.seed(0)
    x = np.random.default_rng(0).normal(size=(64, 4)).astype(np.float32)
    y = np.zeros((64, 2), np.float32)

    def trained(l1):
        lamina.seed(0)
        model = Sequential([Input(shape=(4,)), Dense(8), ActivityRegularization(l1=l1), Dense(2)])
        model.compile(optimizer="sgd", loss="mse")
        history = model.fit(x, y, epochs=5, verbose=0)
        return model, history.history["loss"]

    plain, plain_loss = trained(0.0)
    regularized, regularized_loss = trained(0.5)
    assert regularized_loss[0] > plain_loss[0]  # the penalty is part of the reported loss
    hidden = lambda m: np.abs(m.layers[0](x).numpy()).mean()  # noqa: E731
    assert hidden(regularized) < hidden(plain)


def test_gradient_of_the_penalty():
    x = lamina.tensor(np.array([[1.0, -2.0], [3.0, 0.5]], np.float32), requires_grad=True)
    layer = ActivityRegularization(l1=0.1, l2=0.2)
    layer(x)
    layer.losses[0].backward()
    expected = (0.1 * np.sign(x.numpy()) + 0.2 * 2 * x.numpy()) / 2
    np.testing.assert_allclose(x.grad, expected, rtol=1e-6)


def test_config_masks_and_arguments():
    config = ActivityRegularization(l1=0.1, l2=0.2).get_config()
    assert (config["l1"], config["l2"]) == (0.1, 0.2) and "activity_regularizer" not in config
    clone = ActivityRegularization.from_config(config)
    assert (clone.l1, clone.l2) == (0.1, 0.2)
    embedded = Embedding(4, 2, mask_zero=True)(np.array([[1, 0]]))
    assert get_mask(ActivityRegularization()(embedded)).tolist() == [[True, False]]
    with pytest.raises(ValueError, match="ActivityRegularization argument l1"):
        ActivityRegularization(l1=-1)
    with pytest.raises(TypeError, match="l1 and l2"):
        ActivityRegularization(activity_regularizer="l2")
