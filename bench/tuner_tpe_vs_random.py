"""TPE against random search on a task whose default hyperparameters are poor.

The task: an MLP on the 8x8 digits bundled with lamina (1,438 training images, the 359 test
images as validation), 5 epochs, SGD with momentum 0.9. The search space: learning rate
(log-uniform 1e-3..3), hidden layers (1..3), units per layer (16..128, log), dropout (0..0.5)
and batch size (32, 64, 128). The defaults are lr=1.0 (10x the best learning rate of the
default network, ~0.1), one layer of 64 units, no dropout, batch 32. The objective is the best
epoch's validation loss (lower is better). Each sampler gets 20 trials, no pruning, for each of
several seeds; trial ``k`` of both samplers starts from the same initial-weight seed.

    nice -n 10 python bench/tuner_tpe_vs_random.py              # 5 seeds: ~2-3 minutes
    python bench/tuner_tpe_vs_random.py --seeds 3 --samplers random,tpe,gp
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np

import lamina
from lamina.datasets import digits
from lamina.layers import Dense, Dropout
from lamina.models import Sequential
from lamina.optimizers import SGD
from lamina.selection import HyperModel, HyperParameters, Tuner

EPOCHS = 5
DEFAULTS = {"lr": 1.0, "layers": 1, "units": 64, "dropout": 0.0, "batch_size": 32}


class DigitsMLP(HyperModel):
    def build(self, hp):
        hp.choice("batch_size", [32, 64, 128], default=DEFAULTS["batch_size"])
        model = Sequential([lamina.layers.Input(shape=(64,))])
        units = hp.int("units", 16, 128, log=True, default=DEFAULTS["units"])
        for _ in range(hp.int("layers", 1, 3, default=DEFAULTS["layers"])):
            model.add(Dense(units, activation="relu"))
        model.add(Dropout(hp.float("dropout", 0.0, 0.5, default=DEFAULTS["dropout"])))
        model.add(Dense(10, activation="softmax"))
        lr = hp.float("lr", 1e-3, 3.0, log=True, default=DEFAULTS["lr"])
        model.compile(optimizer=SGD(lr, momentum=0.9), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])  # fmt: skip
        return model

    def fit(self, hp, model, *args, **kwargs):
        return model.fit(*args, batch_size=hp["batch_size"], **kwargs)


def load():
    (x, y), (xv, yv) = digits.load_data()
    return (
        (x.reshape(len(x), -1) / 16).astype("float32"),
        y,
        (
            (xv.reshape(len(xv), -1) / 16).astype("float32"),
            yv,
        ),
    )


def default_score(x, y, val, seeds):
    """The defaults' best-epoch validation loss (and accuracy), over initial-weight seeds."""
    losses, accuracies = [], []
    for seed in seeds:
        lamina.seed(seed)
        hp = HyperParameters()
        model = DigitsMLP().build(hp)
        history = DigitsMLP().fit(hp, model, x, y, epochs=EPOCHS, validation_data=val, verbose=0)
        best = int(np.nanargmin(history.history["val_loss"]))
        losses.append(history.history["val_loss"][best])
        accuracies.append(history.history["val_accuracy"][best])
    return np.array(losses), np.array(accuracies)


def run(sampler, seed, x, y, val, n_trials, directory):
    tuner = Tuner(DigitsMLP(), objective="val_loss", sampler=sampler, pruner=None, seed=seed,
                  directory=directory, study_name=f"{sampler}_{seed}", save_models=False,
                  verbose=0)  # fmt: skip
    start = time.perf_counter()
    tuner.search(x, y, n_trials=n_trials, epochs=EPOCHS, validation_data=val)
    seconds = time.perf_counter() - start
    trials = [t for t in tuner.study.trials if t.state.name == "COMPLETE"]
    values = np.array([t.value for t in trials])
    curve = np.minimum.accumulate(np.where(np.isfinite(values), values, np.inf))
    best = min(trials, key=lambda t: t.value)
    epoch = best.user_attrs["best_epoch"] - 1
    accuracy = best.user_attrs["history"]["val_accuracy"][epoch]
    return curve, accuracy, best.params, seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--samplers", default="random,tpe")
    args = parser.parse_args()
    samplers = args.samplers.split(",")
    x, y, val = load()
    seeds = list(range(args.seeds))

    losses, accuracies = default_score(x, y, val, seeds)
    print(f"digits MLP, {EPOCHS} epochs, {args.trials} trials per search, seeds {seeds}")
    print(f"defaults {DEFAULTS}: best-epoch val_loss {losses.mean():.3f} +/- {losses.std():.3f}"
          f", val_accuracy {accuracies.mean():.3f}")  # fmt: skip
    results = {s: [] for s in samplers}
    with tempfile.TemporaryDirectory() as directory:
        for seed in seeds:
            for sampler in samplers:
                results[sampler].append(run(sampler, seed, x, y, val, args.trials, directory))
            line = "  ".join(f"{s} {results[s][-1][0][-1]:.4f}" for s in samplers)
            print(f"seed {seed}: best val_loss  {line}", flush=True)

    print()
    header = f"{'sampler':<8} {'best val_loss (mean +/- std)':>30} {'val_acc':>8} "
    checkpoints = [n for n in (5, 10, 15, 20, 30, 50) if n <= args.trials]
    header += " ".join(f"{'@' + str(n):>7}" for n in checkpoints) + f" {'s/search':>9}"
    print(header)
    print(f"{'default':<8} {losses.mean():>20.4f} +/- {losses.std():.4f} "
          f"{accuracies.mean():>8.3f}")  # fmt: skip
    for sampler in samplers:
        runs = results[sampler]
        best = np.array([r[0][-1] for r in runs])
        accuracy = np.mean([r[1] for r in runs])
        at = [np.mean([r[0][n - 1] for r in runs]) for n in checkpoints]
        seconds = np.mean([r[3] for r in runs])
        print(f"{sampler:<8} {best.mean():>20.4f} +/- {best.std():.4f} {accuracy:>8.3f} "
              + " ".join(f"{v:>7.4f}" for v in at) + f" {seconds:>9.1f}")  # fmt: skip
    print("(@n: mean best val_loss after n trials)")
    if {"random", "tpe"} <= set(samplers):
        tpe = np.array([r[0][-1] for r in results["tpe"]])
        rnd = np.array([r[0][-1] for r in results["random"]])
        wins = int(np.sum(tpe < rnd))
        print(f"TPE beats random on {wins}/{len(seeds)} seeds; mean best val_loss "
              f"{tpe.mean():.4f} vs {rnd.mean():.4f} ({(1 - tpe.mean() / rnd.mean()):.0%} lower)"
              f"; default {losses.mean():.4f}")  # fmt: skip
        best_runs = {s: min(results[s], key=lambda r: r[0][-1]) for s in ("random", "tpe")}
        for s, r in best_runs.items():
            params = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in r[2].items()}
            print(f"best {s} configuration: {params}")


if __name__ == "__main__":
    main()
