"""The adding problem (Hochreiter & Schmidhuber, 1997): why gates exist.

Each sequence has 50 steps of two features: a random value in [0, 1) and a marker that is 1 at
exactly two steps (one in each half). The target is the sum of the two marked values, so the
network must remember a value across up to 49 steps. Predicting the mean (1.0) scores an MSE of
about 0.167. An LSTM learns it to MSE < 0.01; a SimpleRNN of the same size, trained the same way,
does clearly worse, because its gradient through 50 tanh steps vanishes.
"""

import numpy as np

import lamina
from lamina.layers import LSTM, Dense, Input, SimpleRNN
from lamina.models import Sequential

STEPS = 50


def adding_problem(n, seed):
    rng = np.random.default_rng(seed)
    values = rng.random((n, STEPS)).astype("float32")
    markers = np.zeros((n, STEPS), dtype="float32")
    rows = np.arange(n)
    markers[rows, rng.integers(0, STEPS // 2, n)] = 1
    markers[rows, rng.integers(STEPS // 2, STEPS, n)] = 1
    x = np.stack([values, markers], axis=-1)
    y = (values * markers).sum(axis=1, keepdims=True)
    return x, y


class StopWhenLearned(lamina.callbacks.Callback):
    """End training once the held-out MSE is well below the goal (saves time in the suite)."""

    def on_epoch_end(self, epoch, logs=None):
        if logs["val_loss"] < 0.003:
            self.model.stop_training = True


def train(cell, epochs=15):
    lamina.seed(0)
    x, y = adding_problem(8192, seed=0)
    x_test, y_test = adding_problem(512, seed=1)
    model = Sequential([Input(shape=(STEPS, 2)), cell(32), Dense(1)])
    model.compile(optimizer=lamina.optimizers.Adam(0.01), loss="mse")
    history = model.fit(
        x,
        y,
        batch_size=64,
        epochs=epochs,
        validation_data=(x_test, y_test),
        callbacks=[StopWhenLearned()],
        verbose=0,
    )
    return history.history["val_loss"][-1]


def test_lstm_learns_the_adding_problem_where_simple_rnn_does_worse():
    lstm_mse = train(LSTM)
    rnn_mse = train(SimpleRNN, epochs=8)
    assert lstm_mse < 0.01, lstm_mse
    assert rnn_mse > 0.1 > 10 * lstm_mse, (rnn_mse, lstm_mse)
