"""``CustomModel(inputs, outputs)``: a Model subclass called like the functional Model becomes a
functional model of that class, whose own ``train_step`` drives ``fit`` (keras.io, "Customizing
what happens in fit()", first example)."""

import numpy as np
import pytest

import lamina
from lamina import layers as L
from lamina.models import Functional, Model, load_model


@lamina.saving.register_keras_serializable()
class StepCountingModel(Model):
    """The keras.io example: a hand-written step; it counts its calls."""

    steps = 0

    def train_step(self, data):
        x, y = data
        with lamina.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
        weights = self.trainable_weights
        self.optimizer.apply_gradients(zip(tape.gradient(loss, weights), weights))
        StepCountingModel.steps += 1
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 6)).astype("float32")
    return x, x @ rng.normal(size=(6, 1)).astype("float32")


def graph():
    inputs = L.Input(shape=(6,))
    return inputs, L.Dense(1)(L.Dense(8, activation="relu")(inputs))


def test_subclass_called_with_inputs_and_outputs_trains_with_its_own_step():
    x, y = data()
    model = StepCountingModel(*graph())
    assert isinstance(model, StepCountingModel) and isinstance(model, Functional)
    assert type(model).__name__ == "StepCountingModel"
    assert type(StepCountingModel(*graph())) is type(model)  # one class per subclass
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    StepCountingModel.steps = 0
    history = model.fit(x, y, epochs=4, batch_size=16, verbose=0)
    assert StepCountingModel.steps == 4 * 4
    assert set(history.history) == {"loss", "mae"}
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_inputs_and_outputs_by_keyword_and_the_plain_model_are_unchanged():
    inputs, outputs = graph()
    model = StepCountingModel(inputs=inputs, outputs=outputs, name="by_keyword")
    assert isinstance(model, StepCountingModel) and model.name == "by_keyword"
    assert type(Model(*graph())) is Functional


def test_subclass_with_its_own_init_and_other_arguments():
    class Tracked(Model):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.tracker = lamina.metrics.Mean(name="loss")

    model = Tracked(*graph())
    assert isinstance(model, Functional) and model.tracker.name == "loss"
    assert model.predict(np.zeros((3, 6)), verbose=0).shape == (3, 1)

    class Widths(Model):  # positional arguments that are not tensors: an ordinary subclass
        def __init__(self, units):
            super().__init__()
            self.dense = L.Dense(units[0])

        def call(self, x):
            return self.dense(x)

    plain = Widths([3])
    assert not isinstance(plain, Functional)
    assert plain(np.zeros((2, 4))).shape == (2, 3)

    class NoInit(Model):
        pass

    with pytest.raises(TypeError, match="got inputs/outputs"):  # not tensors: not functional
        NoInit([1], [2])


def test_summary_of_the_functional_subclass(capsys):
    model = StepCountingModel(*graph(), name="counting")
    model.summary()
    out = capsys.readouterr().out
    assert 'Model: "counting"' in out and "(None, 8)" in out
    assert "Total params: 65" in out


def test_registered_subclass_saves_and_loads_with_its_train_step(tmp_path):
    x, y = data()
    model = StepCountingModel(*graph())
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = load_model(tmp_path / "m.keras")
    assert isinstance(loaded, StepCountingModel) and isinstance(loaded, Functional)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    StepCountingModel.steps = 0
    loaded.fit(x, y, epochs=1, batch_size=32, verbose=0)
    assert StepCountingModel.steps == 2


def test_unregistered_subclass_is_a_clear_error_unless_given(tmp_path):
    class Unregistered(Model):
        def train_step(self, data):
            return super().train_step(data)

    model = Unregistered(*graph())
    model.save(tmp_path / "u.keras")
    with pytest.raises(ValueError, match="unknown layer class 'Unregistered'.*custom_objects"):
        load_model(tmp_path / "u.keras")
    loaded = load_model(tmp_path / "u.keras", custom_objects={"Unregistered": Unregistered})
    assert isinstance(loaded, Unregistered) and isinstance(loaded, Functional)
