"""lamina: a small, readable, fast deep-learning framework on NumPy.

>>> import lamina
>>> x = lamina.tensor([2.0], requires_grad=True)
>>> (x ** 2).backward(); x.grad
array([4.], dtype=float32)
"""

# the user-facing subpackages, importable as lamina.layers, lamina.models, ...
from lamina import (  # noqa: I001 - after the core they build on
    activations,
    applications,
    callbacks,
    config,
    constraints,
    datasets,
    evaluation,
    explain,
    initializers,
    layers,
    losses,
    metrics,
    models,
    ops,
    optimizers,
    preprocessing,
    random,
    regularizers,
    saving,
    selection,
    utils,
    wrappers,
)
from lamina.autograd import (
    Function,
    GradientTape,
    Tensor,
    enable_grad,
    grad,
    is_grad_enabled,
    no_grad,
    tensor,
    value_and_grad,
)
from lamina.backend import floatx, get_backend, seed, set_backend, set_floatx

# Keras's top-level names, so that `import lamina as keras` runs Keras tutorials unchanged
from lamina.layers import Input, Layer, Variable
from lamina.layers import SymbolicTensor as KerasTensor
from lamina.models import Model, Sequential

__version__ = "0.1.0"

__all__ = [
    "Function",
    "GradientTape",
    "Input",
    "KerasTensor",
    "Layer",
    "Model",
    "Sequential",
    "Tensor",
    "Variable",
    "activations",
    "applications",
    "callbacks",
    "config",
    "constraints",
    "datasets",
    "enable_grad",
    "evaluation",
    "explain",
    "floatx",
    "get_backend",
    "grad",
    "initializers",
    "is_grad_enabled",
    "layers",
    "losses",
    "metrics",
    "models",
    "no_grad",
    "ops",
    "optimizers",
    "preprocessing",
    "random",
    "regularizers",
    "saving",
    "seed",
    "selection",
    "set_backend",
    "set_floatx",
    "tensor",
    "utils",
    "value_and_grad",
    "wrappers",
]
