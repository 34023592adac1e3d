"""SmoothGrad: the saliency map averaged over noisy copies of the input (Smilkov et al., 2017,
"SmoothGrad: removing noise by adding noise").

>>> import numpy as np
>>> from lamina.models import Sequential
>>> from lamina.layers import Dense
>>> model = Sequential([Dense(2, input_shape=(3,))])
>>> smoothgrad(model, np.ones((4, 3)), samples=5, seed=0).shape
(4, 3)
"""

from __future__ import annotations

import numpy as np

from lamina.explain._common import as_inputs, check_batch_size, input_gradients, reduce_channels


def smoothgrad(
    model,
    x,
    target=None,
    samples: int = 25,
    noise_level: float = 0.15,
    absolute: bool = False,
    squared: bool = False,
    seed=None,
    batch_size: int = 64,
) -> np.ndarray:
    """The mean gradient of the class score over ``samples`` copies of each input with Gaussian
    noise of standard deviation ``noise_level * (max - min)`` of that input (the paper's 10-20%).

    ``target`` is fixed before the noise is added (None: the class predicted for the clean
    input). ``squared`` averages squared gradients (SmoothGrad-Squared); ``absolute`` as in
    ``saliency``. The noise comes from its own generator (``seed``), not lamina's, so calling
    it does not change a training run's random numbers. Returns an array of the input's shape
    (images lose their channel axis).
    """
    x = as_inputs(x, "smoothgrad")
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
        raise ValueError(f"samples must be a positive integer, got {samples!r}")
    if not noise_level >= 0:
        raise ValueError(f"noise_level must be >= 0, got {noise_level}")
    batch_size = check_batch_size(batch_size)
    _, _, targets = input_gradients(model, x, target, batch_size)  # fixed on the clean input
    rng = np.random.default_rng(seed)
    n = len(x)
    spread = (x.reshape(n, -1).max(axis=1) - x.reshape(n, -1).min(axis=1)).reshape(
        (n,) + (1,) * (x.ndim - 1)
    )
    sigma = noise_level * np.where(spread > 0, spread, 1.0)
    total = np.zeros(x.shape, dtype=np.float64)
    per_pass = max(1, batch_size // n) if n < batch_size else 1
    done = 0
    while done < samples:  # several noisy copies of the whole batch per forward pass
        k = min(per_pass, samples - done)
        noisy = (x[None] + rng.normal(size=(k, *x.shape)) * sigma[None]).astype(x.dtype)
        grads, _, _ = input_gradients(
            model, noisy.reshape(k * n, *x.shape[1:]), np.tile(targets, k), batch_size
        )
        grads = grads.reshape(k, *x.shape)
        total += (grads * grads if squared else grads).sum(axis=0)
        done += k
    mean = (total / samples).astype(x.dtype)
    if absolute:
        return reduce_channels(np.abs(mean), "max_abs")
    return reduce_channels(mean, "sum")
