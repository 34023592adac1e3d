"""Adadelta: step sizes from running averages of squared gradients and squared updates."""

from __future__ import annotations

from lamina.backend import xp
from lamina.optimizers.optimizer import Optimizer, check_fraction, check_non_negative


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012), as Keras computes it.

    .. math::
        v &\leftarrow \rho v + (1 - \rho) g^2 \\
        \Delta &= \frac{\sqrt{s + \epsilon}}{\sqrt{v + \epsilon}}\, g \\
        s &\leftarrow \rho s + (1 - \rho) \Delta^2 \\
        w &\leftarrow w - \eta \Delta

    Slots: ``"accumulated_grad"`` (v), ``"accumulated_delta_var"`` (s). PyTorch's ``Adadelta``
    computes the same (:math:`\epsilon` inside both roots) with other defaults: ``lr=1.0``
    (the paper's, which has no learning rate), ``rho=0.9``, ``eps=1e-6``. With Keras's
    ``learning_rate=0.001`` training is slow; pass ``learning_rate=1.0`` for the paper's method.

    >>> import lamina
    >>> w = lamina.tensor([1.0], requires_grad=True)
    >>> opt = Adadelta(learning_rate=1.0, rho=0.5, epsilon=1e-2)
    >>> opt.apply([w.data * 2], [w]); w.data.round(4)  # 1 - sqrt(0.01) / sqrt(2 + 0.01) * 2
    array([0.8589], dtype=float32)
    """

    _hyperparameters = ("rho", "epsilon")

    def __init__(
        self,
        learning_rate=0.001,
        rho: float = 0.95,
        epsilon: float = 1e-7,
        **kwargs,
    ):
        super().__init__(learning_rate, **kwargs)
        self.rho = check_fraction("rho", rho)
        self.epsilon = check_non_negative("epsilon", epsilon)

    def build_state(self, param) -> dict:
        return {
            "accumulated_grad": xp.zeros_like(param),
            "accumulated_delta_var": xp.zeros_like(param),
        }

    def update(self, param, grad, state, lr, t):
        rho, eps = self.rho, self.epsilon
        v, s = state["accumulated_grad"], state["accumulated_delta_var"]
        delta, tmp = self._scratch_like(param), self._scratch_like(param, 1)
        v *= rho
        v += xp.multiply(xp.multiply(grad, grad, out=tmp), 1.0 - rho, out=tmp)
        xp.add(s, eps, out=delta)  # delta = sqrt(s + eps) / sqrt(v + eps) * g
        xp.add(v, eps, out=tmp)
        xp.divide(delta, tmp, out=delta)
        xp.sqrt(delta, out=delta)
        delta *= grad
        s *= rho
        s += xp.multiply(xp.multiply(delta, delta, out=tmp), 1.0 - rho, out=tmp)
        delta *= lr
        param -= delta
