"""Adam: momentum on the gradient and on its square, with bias correction."""

from __future__ import annotations

import math

from lamina.backend import xp
from lamina.optimizers.optimizer import Optimizer, check_fraction, check_non_negative


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015), optionally AMSGrad (Reddi et al., 2018), as Keras computes it.

    .. math::
        m &\leftarrow \beta_1 m + (1 - \beta_1) g \\
        v &\leftarrow \beta_2 v + (1 - \beta_2) g^2 \\
        \hat v &\leftarrow \max(\hat v, v) \quad\text{(amsgrad only; then } \hat v
            \text{ replaces } v \text{ below)} \\
        \alpha_t &= \eta \sqrt{1 - \beta_2^t} / (1 - \beta_1^t) \\
        w &\leftarrow w - \alpha_t\, m / (\sqrt{v} + \hat\epsilon)

    This is the paper's efficient form (Sec. 2, before 2.1); it equals Algorithm 1,
    :math:`w \leftarrow w - \eta \hat m / (\sqrt{\hat v} + \epsilon)` with
    :math:`\hat m = m / (1 - \beta_1^t)`, :math:`\hat v = v / (1 - \beta_2^t)`, for
    :math:`\epsilon = \hat\epsilon / \sqrt{1 - \beta_2^t}`. ``epsilon`` is :math:`\hat\epsilon`
    as in Keras; PyTorch's ``eps`` is Algorithm 1's :math:`\epsilon`, so the two agree when
    epsilon is negligible against :math:`\sqrt{v}`. Slots: ``"momentum"`` (m), ``"velocity"``
    (v), ``"velocity_hat"`` (amsgrad).

    >>> import lamina
    >>> w = lamina.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = Adam(learning_rate=0.1)
    >>> opt.apply([w.data * 2], [w]); w.data.round(4)  # the first step moves about lr
    array([ 0.9, -1.9], dtype=float32)
    """

    _hyperparameters = ("beta_1", "beta_2", "epsilon", "amsgrad")

    def __init__(
        self,
        learning_rate=0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        **kwargs,
    ):
        super().__init__(learning_rate, **kwargs)
        self.beta_1 = check_fraction("beta_1", beta_1)
        self.beta_2 = check_fraction("beta_2", beta_2)
        self.epsilon = check_non_negative("epsilon", epsilon)
        self.amsgrad = bool(amsgrad)

    def build_state(self, param) -> dict:
        state = {"momentum": xp.zeros_like(param), "velocity": xp.zeros_like(param)}
        if self.amsgrad:
            state["velocity_hat"] = xp.zeros_like(param)
        return state

    def update(self, param, grad, state, lr, t):
        b1, b2, tmp = self.beta_1, self.beta_2, self._scratch_like(param)
        m, v = state["momentum"], state["velocity"]
        xp.subtract(grad, m, out=tmp)  # m += (1 - b1) (g - m)
        tmp *= 1.0 - b1
        m += tmp
        xp.multiply(grad, grad, out=tmp)  # v += (1 - b2) (g^2 - v)
        tmp -= v
        tmp *= 1.0 - b2
        v += tmp
        if self.amsgrad:
            v = xp.maximum(state["velocity_hat"], v, out=state["velocity_hat"])
        xp.sqrt(v, out=tmp)
        tmp += self.epsilon
        xp.divide(m, tmp, out=tmp)
        tmp *= lr * math.sqrt(1.0 - b2**t) / (1.0 - b1**t)
        param -= tmp
