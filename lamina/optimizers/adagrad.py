"""Adagrad: per-coordinate learning rates from the sum of squared gradients."""

from __future__ import annotations

from lamina.backend import xp
from lamina.optimizers.optimizer import Optimizer, check_non_negative


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al., 2011), as Keras computes it.

    .. math::
        s &\leftarrow s + g^2 \qquad (s_0 = \text{initial\_accumulator\_value}) \\
        w &\leftarrow w - \eta\, g / \sqrt{s + \epsilon}

    Slot: ``"accumulator"`` (s). Keras puts :math:`\epsilon` inside the root; PyTorch's
    ``Adagrad`` divides by :math:`\sqrt{s} + \epsilon` and starts :math:`s` at 0 by default.

    >>> import lamina
    >>> w = lamina.tensor([1.0], requires_grad=True)
    >>> opt = Adagrad(learning_rate=0.1, initial_accumulator_value=0.0, epsilon=0.0)
    >>> opt.apply([w.data * 3], [w]); w.data.round(4)  # 1 - 0.1 * 3 / sqrt(9)
    array([0.9], dtype=float32)
    """

    _hyperparameters = ("initial_accumulator_value", "epsilon")

    def __init__(
        self,
        learning_rate=0.001,
        initial_accumulator_value: float = 0.1,
        epsilon: float = 1e-7,
        **kwargs,
    ):
        super().__init__(learning_rate, **kwargs)
        self.initial_accumulator_value = check_non_negative(
            "initial_accumulator_value", initial_accumulator_value
        )
        self.epsilon = check_non_negative("epsilon", epsilon)

    def build_state(self, param) -> dict:
        return {"accumulator": xp.full_like(param, self.initial_accumulator_value)}

    def update(self, param, grad, state, lr, t):
        s, tmp = state["accumulator"], self._scratch_like(param)
        s += xp.multiply(grad, grad, out=tmp)
        xp.add(s, self.epsilon, out=tmp)
        xp.sqrt(tmp, out=tmp)
        xp.divide(grad, tmp, out=tmp)
        tmp *= lr
        param -= tmp
