"""Adamax: Adam with the infinity norm in place of the root mean square."""

from __future__ import annotations

from lamina.backend import xp
from lamina.optimizers.optimizer import Optimizer, check_fraction, check_non_negative


class Adamax(Optimizer):
    r"""Adamax (Kingma & Ba, 2015, Sec. 7.1), as Keras computes it.

    .. math::
        m &\leftarrow \beta_1 m + (1 - \beta_1) g \\
        u &\leftarrow \max(\beta_2 u, |g|) \\
        w &\leftarrow w - \frac{\eta}{1 - \beta_1^t}\, \frac{m}{u + \epsilon}

    Slots: ``"momentum"`` (m), ``"norm"`` (u). PyTorch's ``Adamax`` puts :math:`\epsilon`
    inside the maximum, :math:`u \leftarrow \max(\beta_2 u, |g| + \epsilon)`, and divides by
    :math:`u` alone; the two agree when :math:`\epsilon` is negligible against :math:`u`.

    >>> import lamina
    >>> w = lamina.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = Adamax(learning_rate=0.1)
    >>> opt.apply([w.data * 2], [w]); w.data.round(4)  # the first step moves lr * sign(g)
    array([ 0.9, -1.9], dtype=float32)
    """

    _hyperparameters = ("beta_1", "beta_2", "epsilon")

    def __init__(
        self,
        learning_rate=0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        **kwargs,
    ):
        super().__init__(learning_rate, **kwargs)
        self.beta_1 = check_fraction("beta_1", beta_1)
        self.beta_2 = check_fraction("beta_2", beta_2)
        self.epsilon = check_non_negative("epsilon", epsilon)

    def build_state(self, param) -> dict:
        return {"momentum": xp.zeros_like(param), "norm": xp.zeros_like(param)}

    def update(self, param, grad, state, lr, t):
        m, u, tmp = state["momentum"], state["norm"], self._scratch_like(param)
        xp.subtract(grad, m, out=tmp)  # m += (1 - b1) (g - m)
        tmp *= 1.0 - self.beta_1
        m += tmp
        u *= self.beta_2
        xp.maximum(u, xp.abs(grad, out=tmp), out=u)
        xp.add(u, self.epsilon, out=tmp)
        xp.divide(m, tmp, out=tmp)
        tmp *= lr / (1.0 - self.beta_1**t)
        param -= tmp
