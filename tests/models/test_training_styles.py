"""Ways to train beyond compile/fit: add_loss, the PyTorch-style loop, state_dict, freezing,
subclassed models and an overridden train_step."""

import numpy as np
import pytest

import lamina
from lamina import ops
from lamina.layers import BatchNormalization, Dense, Input, Layer
from lamina.models import Model, Sequential


def data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    return x, x @ np.array([[1.0], [-1.0], [0.5], [2.0]], dtype="float32")


class ActivityPenalty(Layer):
    """Passes its input through and adds ``rate * mean(x**2)`` to the loss (as a VAE adds KL)."""

    def __init__(self, rate, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate

    def call(self, inputs, training=False):
        self.add_loss(self.rate * ops.mean(inputs * inputs))
        return inputs


def test_add_loss_enters_the_training_loss_and_is_recomputed_each_call():
    x, y = data()
    penalty = ActivityPenalty(10.0)
    model = Sequential([Input(shape=(4,)), Dense(3), penalty, Dense(1)])
    model(x)
    first = penalty.losses[0].item()
    model(x * 2)
    assert len(model.losses) == 1  # replaced, not accumulated
    assert model.losses[0].item() == pytest.approx(4 * first, rel=1e-5)
    model.compile(optimizer="sgd", loss="mse")
    mse = float(np.mean((model.predict(x, verbose=0) - y) ** 2))
    reported = model.evaluate(x, y, batch_size=64, verbose=0)
    model(x)
    assert reported == pytest.approx(mse + model.losses[0].item(), rel=1e-4)


def test_pytorch_style_loop_matches_fit_with_sgd():
    x, y = data()
    lamina.seed(0)
    a = Sequential([Input(shape=(4,)), Dense(8, activation="tanh"), Dense(1)])
    b = Sequential([Input(shape=(4,)), Dense(8, activation="tanh"), Dense(1)])
    b.set_weights(a.get_weights())
    a.compile(optimizer=lamina.optimizers.SGD(0.05), loss="mse")
    a.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)

    optimizer = lamina.optimizers.SGD(0.05, params=b.parameters())
    loss_fn = lamina.losses.MeanSquaredError()
    for _ in range(2):
        for i in range(0, 64, 16):
            optimizer.zero_grad()
            loss = loss_fn(y[i : i + 16], b(x[i : i + 16], training=True))
            loss.backward()
            assert all(p.grad is not None for p in b.parameters())
            optimizer.step()
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-5, atol=1e-6)
    b.zero_grad()
    assert all(p.grad is None for p in b.parameters())


def test_state_dict_round_trip_with_dotted_names():
    model = Sequential([Input(shape=(4,)), Dense(3, name="hidden"), BatchNormalization(name="bn")])
    state = model.state_dict()
    assert list(state) == [
        "hidden.kernel", "hidden.bias", "bn.gamma", "bn.beta", "bn.moving_mean",
        "bn.moving_variance",
    ]  # fmt: skip
    assert [n for n, _ in model.named_parameters()] == list(state)[:4]
    other = Sequential([Input(shape=(4,)), Dense(3, name="hidden"), BatchNormalization(name="bn")])
    missing, unexpected = other.load_state_dict(state)
    assert missing == unexpected == []
    x, _ = data()
    np.testing.assert_array_equal(other.predict(x, verbose=0), model.predict(x, verbose=0))
    with pytest.raises(KeyError, match="missing.*unexpected"):
        other.load_state_dict({"hidden.kernel": state["hidden.kernel"], "extra": np.zeros(1)})
    bad = dict(state, **{"hidden.bias": np.zeros(5)})
    with pytest.raises(ValueError, match=r"hidden.bias has shape \(3,\)"):
        other.load_state_dict(bad)
    assert other.load_state_dict({"hidden.bias": np.ones(3)}, strict=False)[0][0] == "bn.beta"


def test_frozen_layer_is_bit_identical_after_fit_and_counted_non_trainable():
    x, y = data()
    inputs = Input(shape=(4,))
    frozen = Dense(8, activation="relu", name="frozen")
    bn = BatchNormalization(name="frozen_bn")
    outputs = Dense(1)(bn(frozen(inputs)))
    model = Model(inputs, outputs)
    frozen.trainable = False
    bn.trainable = False
    before = [w.copy() for w in frozen.get_weights() + bn.get_weights()]
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    after = frozen.get_weights() + bn.get_weights()
    for b, a in zip(before, after):
        np.testing.assert_array_equal(a, b)  # BatchNorm statistics too: inference mode
    lines = []
    model.summary(print_fn=lines.append)
    frozen_count = 8 * 4 + 8 + 4 * 8
    assert f"Non-trainable params: {frozen_count:,}" in lines
    frozen.trainable = True
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    assert not np.array_equal(frozen.get_weights()[0], before[0])


class TwoTower(Model):
    """A subclassed model: layers assigned in __init__ are tracked automatically."""

    def __init__(self):
        super().__init__(name="two_tower")
        self.left = Dense(4, activation="relu")
        self.right = Dense(4, activation="relu")
        self.head = Dense(1)

    def call(self, inputs, training=False):
        return self.head(self.left(inputs) + self.right(inputs))


class CustomStep(Sequential):
    """Overrides train_step with a hand-written forward, backward and update."""

    steps = 0

    def train_step(self, data):
        x, y = data[0], data[1]
        weights = self.trainable_weights

        loss = self.compute_loss(x, y, self(x, training=True))
        loss.backward()
        self.optimizer.apply([w.grad for w in weights], weights)
        for w in weights:
            w.grad = None
        CustomStep.steps += 1
        return self.compute_metrics(x, y, self(x), loss=loss)


def test_subclassed_model_tracks_layers_and_trains():
    x, y = data()
    model = TwoTower()
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(x, y, epochs=5, batch_size=16, verbose=0)
    assert len(model.trainable_weights) == 6
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_fit_uses_an_overridden_train_step():
    x, y = data()
    model = CustomStep([Input(shape=(4,)), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
    assert CustomStep.steps == 12
    assert history.history["loss"][-1] < history.history["loss"][0]
