"""RMSprop: divide the gradient by a running root mean square of recent gradients."""

from __future__ import annotations

from lamina.backend import xp
from lamina.optimizers.optimizer import Optimizer, check_fraction, check_non_negative


class RMSprop(Optimizer):
    r"""RMSprop (Hinton, 2012), as Keras computes it.

    .. math::
        v &\leftarrow \rho v + (1 - \rho) g^2 \\
        a &\leftarrow \rho a + (1 - \rho) g \quad\text{(centered only; then } v - a^2
            \text{ replaces } v \text{ below)} \\
        \Delta &= \eta\, g / \sqrt{v + \epsilon} \\
        w &\leftarrow w - \Delta \quad\text{or, with momentum } \mu:\quad
            b \leftarrow \mu b + \Delta,\; w \leftarrow w - b

    Slots: ``"velocity"`` (v), ``"momentum"`` (b, when ``momentum > 0``), ``"average_gradient"``
    (a, when ``centered``). Keras puts :math:`\epsilon` inside the square root; PyTorch's
    ``RMSprop(alpha=rho)`` divides by :math:`\sqrt{v} + \epsilon`. The two agree when
    :math:`\epsilon` is negligible against :math:`v`.

    >>> import lamina
    >>> w = lamina.tensor([1.0, -1.0], requires_grad=True)
    >>> opt = RMSprop(learning_rate=0.01)
    >>> opt.apply([w.data * 2], [w]); w.data.round(4)  # first step moves lr / sqrt(1 - rho)
    array([ 0.9684, -0.9684], dtype=float32)
    """

    _hyperparameters = ("rho", "momentum", "epsilon", "centered")

    def __init__(
        self,
        learning_rate=0.001,
        rho: float = 0.9,
        momentum: float = 0.0,
        epsilon: float = 1e-7,
        centered: bool = False,
        **kwargs,
    ):
        super().__init__(learning_rate, **kwargs)
        self.rho = check_fraction("rho", rho)
        self.momentum = check_fraction("momentum", momentum, include_one=True)
        self.epsilon = check_non_negative("epsilon", epsilon)
        self.centered = bool(centered)

    def build_state(self, param) -> dict:
        state = {"velocity": xp.zeros_like(param)}
        if self.momentum:
            state["momentum"] = xp.zeros_like(param)
        if self.centered:
            state["average_gradient"] = xp.zeros_like(param)
        return state

    def update(self, param, grad, state, lr, t):
        rho, tmp = self.rho, self._scratch_like(param)
        v = state["velocity"]
        v *= rho
        tmp = xp.multiply(grad, grad, out=tmp)
        tmp *= 1.0 - rho
        v += tmp
        if self.centered:
            a = state["average_gradient"]
            a *= rho
            a += xp.multiply(grad, 1.0 - rho, out=tmp)
            xp.multiply(a, a, out=tmp)
            xp.subtract(v, tmp, out=tmp)
            tmp += self.epsilon
        else:
            xp.add(v, self.epsilon, out=tmp)
        xp.sqrt(tmp, out=tmp)
        xp.divide(grad, tmp, out=tmp)
        tmp *= lr
        if self.momentum:
            b = state["momentum"]
            b *= self.momentum
            b += tmp
            param -= b
        else:
            param -= tmp
