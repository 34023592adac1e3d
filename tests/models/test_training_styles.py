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


def test_layer_built_by_hand_is_not_rebuilt_by_its_first_call():
    layer = Dense(2)
    layer.build((None, 4))
    assert layer.built
    layer(np.ones((3, 4), "float32"))
    assert len(layer.weights) == 2


class AutoEncoderWithPenalty(Model):
    """Keras's VAE-tutorial shape: compiled without a loss, trained on x alone, the loss comes
    from add_loss."""

    def __init__(self):
        super().__init__()
        self.encode = Dense(2)
        self.decode = Dense(4)

    def call(self, inputs, training=False):
        out = self.decode(self.encode(inputs))
        self.add_loss(ops.mean(ops.square(out - inputs)))
        return out


def test_compile_without_loss_and_fit_on_x_alone_with_add_loss():
    x, _ = data(128)
    model = AutoEncoderWithPenalty()
    model.compile(optimizer=lamina.optimizers.Adam(0.01))
    history = model.fit(x, epochs=20, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert model.evaluate(x, verbose=0) == pytest.approx(history.history["loss"][-1], rel=0.3)


def test_no_loss_anywhere_and_missing_targets_are_clear_errors():
    x, y = data()
    model = Sequential([Input(shape=(4,)), Dense(1)])
    model.compile(optimizer="sgd")
    with pytest.raises(ValueError, match="no loss to compute"):
        model.fit(x, y, verbose=0)
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="'mse' needs targets"):
        model.fit(x, verbose=0)


class TinyGAN(Model):
    """The Keras DCGAN tutorial's structure: its own compile, metrics property and a
    train_step on x alone that trains two networks with GradientTape."""

    def __init__(self, generator, discriminator, latent_dim):
        super().__init__()
        self.generator, self.discriminator = generator, discriminator
        self.latent_dim = latent_dim
        self.seed_generator = lamina.random.SeedGenerator(3)

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer, self.g_optimizer, self.loss_fn = d_optimizer, g_optimizer, loss_fn
        self.d_loss_metric = lamina.metrics.Mean(name="d_loss")
        self.g_loss_metric = lamina.metrics.Mean(name="g_loss")

    @property
    def metrics(self):
        return [self.d_loss_metric, self.g_loss_metric]

    def train_step(self, real):
        n = ops.shape(real)[0]
        z = lamina.random.normal((n, self.latent_dim), seed=self.seed_generator)
        fake = self.generator(z)
        images = ops.concatenate([fake, lamina.tensor(real)], axis=0)
        labels = np.concatenate([np.ones((n, 1)), np.zeros((n, 1))]).astype("float32")
        with lamina.GradientTape() as tape:
            d_loss = self.loss_fn(labels, self.discriminator(images))
        weights = self.discriminator.trainable_weights
        self.d_optimizer.apply_gradients(zip(tape.gradient(d_loss, weights), weights))
        z = lamina.random.normal((n, self.latent_dim), seed=self.seed_generator)
        with lamina.GradientTape() as tape:
            fooled = self.discriminator(self.generator(z))
            g_loss = self.loss_fn(np.zeros((n, 1), "float32"), fooled)
        weights = self.generator.trainable_weights
        self.g_optimizer.apply_gradients(zip(tape.gradient(g_loss, weights), weights))
        self.d_loss_metric.update_state(d_loss)
        self.g_loss_metric.update_state(g_loss)
        return {"d_loss": self.d_loss_metric.result(), "g_loss": self.g_loss_metric.result()}


def test_keras_style_gan_train_step_with_gradient_tape():
    lamina.seed(0)
    real = np.random.default_rng(0).normal(3.0, 0.5, size=(256, 1)).astype("float32")
    generator = Sequential([Input(shape=(2,)), Dense(8, activation="relu"), Dense(1)])
    discriminator = Sequential([Input(shape=(1,)), Dense(8, activation="relu"),
                                Dense(1, activation="sigmoid")])  # fmt: skip
    gan = TinyGAN(generator, discriminator, latent_dim=2)
    before = np.mean(generator.predict(np.random.default_rng(1).normal(size=(500, 2)), verbose=0))
    gan.compile(
        lamina.optimizers.Adam(0.01), lamina.optimizers.Adam(0.01),
        lamina.losses.BinaryCrossentropy(),
    )  # fmt: skip
    history = gan.fit(real, epochs=15, batch_size=32, verbose=0)
    assert set(history.history) == {"d_loss", "g_loss"}
    after = np.mean(generator.predict(np.random.default_rng(1).normal(size=(500, 2)), verbose=0))
    assert abs(before - 3.0) > 3 and abs(after - 3.0) < 1  # the generator moved to the data


class Noisy(Layer):
    """A custom layer whose call takes no ``training`` argument (Keras passes none then)."""

    def call(self, inputs):
        return inputs + 1.0


class Block(Layer):
    """Calls a Dropout without passing ``training``: it inherits the outer call's value."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.noisy = Noisy()
        self.dropout = lamina.layers.Dropout(0.5)

    def call(self, inputs):
        return self.dropout(self.noisy(inputs))


def test_training_is_passed_only_to_calls_that_take_it_and_inherited_inside_calls():
    block = Block()
    x = np.ones((200, 10), "float32")
    np.testing.assert_array_equal(block(x).numpy(), 2 * x)  # inference: dropout is identity
    dropped = block(x, training=True).numpy()
    assert (dropped == 0).mean() > 0.3 and set(np.unique(dropped)) == {0.0, 4.0}
    inputs = Input(shape=(10,))
    model = Model(inputs, Block()(inputs))
    assert (model(x, training=True).numpy() == 0).any()
    assert not (model(x).numpy() == 0).any()
