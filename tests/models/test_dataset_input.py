"""fit/evaluate/predict on datasets: iterables of (x, y[, sample_weight]) batches."""

import numpy as np
import pytest

from lamina.layers import Dense
from lamina.models import Sequential


class Batches:
    """A re-iterable dataset with a length, like a Keras PyDataset or a DataLoader."""

    def __init__(self, x, y, batch_size=8, as_list=False):
        self.x, self.y, self.batch_size, self.as_list = x, y, batch_size, as_list
        self.passes = 0

    def __len__(self):
        return -(-len(self.x) // self.batch_size)

    def __iter__(self):
        self.passes += 1
        for i in range(0, len(self.x), self.batch_size):
            batch = (self.x[i : i + self.batch_size], self.y[i : i + self.batch_size])
            yield list(batch) if self.as_list else batch


def data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype("float32")
    return x, x @ np.array([[1.0], [-2.0], [0.5]], dtype="float32")


def model():
    m = Sequential([Dense(1)])
    m.compile(optimizer="sgd", loss="mse")
    return m


def test_fit_on_a_dataset_matches_fit_on_arrays_without_shuffling():
    x, y = data()
    a, b = model(), model()
    b.build((None, 3))
    a.build((None, 3))
    b.set_weights(a.get_weights())
    ha = a.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    dataset = Batches(x, y)
    hb = b.fit(dataset, epochs=3, verbose=0)
    assert dataset.passes == 3  # restarted every epoch
    np.testing.assert_allclose(ha.history["loss"], hb.history["loss"], rtol=1e-6)
    np.testing.assert_allclose(a.get_weights()[0], b.get_weights()[0], rtol=1e-6)


def test_validation_evaluate_and_predict_accept_datasets():
    x, y = data()
    m = model()
    history = m.fit(Batches(x, y, as_list=True), validation_data=Batches(x, y), epochs=2, verbose=0)
    assert len(history.history["val_loss"]) == 2
    loss = m.evaluate(Batches(x, y), verbose=0)
    assert loss == pytest.approx(m.evaluate(x, y, verbose=0), rel=1e-5)
    np.testing.assert_allclose(m.predict(Batches(x, y), verbose=0), m.predict(x, verbose=0))


def test_generator_is_consumed_across_epochs_with_steps_per_epoch():
    x, y = data(n=48)

    def gen():
        for i in range(0, 48, 8):
            yield x[i : i + 8], y[i : i + 8]

    history = model().fit(gen(), steps_per_epoch=2, epochs=3, verbose=0)
    assert len(history.history["loss"]) == 3


def test_exhausted_generator_stops_training_with_a_warning():
    x, y = data(n=16)
    with pytest.warns(UserWarning, match="ran out of data"):
        history = model().fit(iter([(x, y)]), epochs=3, verbose=0)
    assert len(history.history["loss"]) == 1


def test_dataset_errors_are_explained():
    x, y = data()
    with pytest.raises(ValueError, match="pass no y"):
        model().fit(Batches(x, y), y, verbose=0)
    with pytest.raises(ValueError, match=r"yields \(x, y\) batches"):
        model().fit(iter([x]), verbose=0)
    with pytest.raises(ValueError, match="got 4 items"):
        model().fit(iter([(x, y, y, y)]), verbose=0)
