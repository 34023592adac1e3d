"""Saliency maps: the gradient of the class score with respect to the input (Simonyan, Vedaldi
and Zisserman, 2014, "Deep Inside Convolutional Networks").

>>> import numpy as np, lamina
>>> from lamina.models import Sequential
>>> from lamina.layers import Dense
>>> model = Sequential([Dense(2, input_shape=(3,))])
>>> kernel = model.layers[0].kernel.numpy()
>>> grads = saliency(model, np.ones((4, 3)), target=1)
>>> grads.shape, bool(np.allclose(grads, kernel[:, 1]))
((4, 3), True)
"""

from __future__ import annotations

import numpy as np

from lamina.explain._common import as_inputs, check_batch_size, input_gradients, reduce_channels


def saliency(model, x, target=None, absolute: bool = False, batch_size: int = 64) -> np.ndarray:
    """d(class score)/d(input) for each sample of ``x``.

    Args:
        model: a model with one input and outputs of shape ``(n, classes)``.
        x: a batch of inputs, shape ``(n, ...)``.
        target: the class to explain: an int, one int per sample, or None for the predicted
            class. The score is the class's logit when the model ends in softmax/sigmoid.
        absolute: ``|gradient|`` (and, for images, its maximum over channels, as the paper
            does) instead of the signed gradient (summed over channels for images).
        batch_size: samples per forward/backward pass.

    Returns:
        an array of the input's shape, without the channel axis for images ``(n, h, w, c)``.
    """
    x = as_inputs(x, "saliency")
    grads, _, _ = input_gradients(model, x, target, check_batch_size(batch_size))
    if absolute:
        return reduce_channels(np.abs(grads), "max_abs")
    return reduce_channels(grads, "sum")
