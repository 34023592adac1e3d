"""Explainability: why a model decided what it decided, and what went wrong in training.

Attributions (each returns arrays of the input's spatial shape; ``save_overlay`` draws one over
its image as a PNG):

- ``saliency``: the gradient of the class score with respect to the input;
- ``smoothgrad``: the same, averaged over noisy copies of the input;
- ``integrated_gradients``: gradients integrated from a baseline, adding up to the score change;
- ``grad_cam``: where a convolutional layer's features argue for the class;
- ``occlusion``: how much hiding each patch lowers the class score.

Training diagnoses (``Finding``, the checks in ``diagnosis``) are what
``lamina.callbacks.Diagnostics`` reports.

>>> import numpy as np
>>> from lamina import explain
>>> from lamina.models import Sequential
>>> from lamina.layers import Dense
>>> model = Sequential([Dense(3, activation="softmax", input_shape=(5,))])
>>> explain.saliency(model, np.ones((2, 5))).shape
(2, 5)
"""

from lamina.explain import diagnosis
from lamina.explain.diagnosis import Finding
from lamina.explain.grad_cam import grad_cam
from lamina.explain.integrated_gradients import integrated_gradients
from lamina.explain.occlusion import occlusion
from lamina.explain.overlay import overlay, save_overlay
from lamina.explain.saliency import saliency
from lamina.explain.smoothgrad import smoothgrad

__all__ = [
    "Finding",
    "diagnosis",
    "grad_cam",
    "integrated_gradients",
    "occlusion",
    "overlay",
    "saliency",
    "save_overlay",
    "smoothgrad",
]
