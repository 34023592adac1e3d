"""Reverse-mode automatic differentiation over ``xp`` arrays: Tensor, Function, the engine."""

from lamina.autograd.tensor import Tensor, tensor  # noqa: I001 - tensor first (import cycle)
from lamina.autograd.function import Function
from lamina.autograd.engine import unbroadcast
from lamina.autograd.functional import grad, value_and_grad
from lamina.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad
from lamina.autograd.tape import GradientTape

__all__ = [
    "Function",
    "GradientTape",
    "Tensor",
    "enable_grad",
    "grad",
    "is_grad_enabled",
    "no_grad",
    "tensor",
    "unbroadcast",
    "value_and_grad",
]
