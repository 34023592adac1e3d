"""The small search task the tuner tests share: fit y = x @ w with a one-layer linear model
trained by SGD, whose defaults (learning rate 0.5, momentum 0.9) diverge; 0.1-0.5 without
much momentum fits it (best-epoch validation MSE ~0.003 against ~50). Run as a module, it is
the search process the resume test kills:
``python -m tests.selection.task STORAGE N_TRIALS SECONDS_PER_EPOCH``."""

import sys
import time

import numpy as np

from lamina.callbacks import LambdaCallback
from lamina.layers import Dense
from lamina.models import Sequential
from lamina.optimizers import SGD

EPOCHS = 4


def data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    w = np.array([[1.0], [-2.0], [0.5], [1.5]], dtype="float32")
    y = x @ w + 0.05 * rng.normal(size=(n, 1))
    return x[:48], y[:48].astype("float32"), x[48:], y[48:].astype("float32")


def build_model(hp):
    model = Sequential([Dense(1, input_shape=(4,))])
    lr = hp.float("lr", 1e-3, 1.0, log=True, default=0.5)
    model.compile(optimizer=SGD(lr, momentum=hp.float("momentum", 0.0, 0.9, default=0.9)),
                  loss="mse", metrics=["mae"])  # fmt: skip
    return model


def slow(seconds):
    """A callback that makes each epoch last ``seconds`` (so that trials overlap or can be
    interrupted mid-way)."""
    return LambdaCallback(on_epoch_end=lambda epoch, logs: time.sleep(seconds))


if __name__ == "__main__":
    from lamina.selection import Tuner

    storage, n_trials, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    x, y, xv, yv = data()
    tuner = Tuner(build_model, storage=storage, sampler="random", seed=0, pruner=None,
                  heartbeat_interval=1, save_models=False, verbose=0)  # fmt: skip
    tuner.search(x, y, n_trials=n_trials, epochs=EPOCHS, validation_data=(xv, yv), batch_size=8,
                 callbacks=[slow(seconds)])  # fmt: skip
