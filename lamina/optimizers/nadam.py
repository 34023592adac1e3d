"""Nadam: Adam with Nesterov momentum."""

from __future__ import annotations

import math

from lamina.backend import xp
from lamina.optimizers.optimizer import Optimizer, check_fraction, check_non_negative


class Nadam(Optimizer):
    r"""Nadam (Dozat, 2016), as Keras computes it.

    .. math::
        \mu_t &= \beta_1 \left(1 - \tfrac12\, 0.96^{\psi t}\right), \qquad
            \Pi_t = \textstyle\prod_{i \le t} \mu_i \\
        m &\leftarrow \beta_1 m + (1 - \beta_1) g, \qquad
            v \leftarrow \beta_2 v + (1 - \beta_2) g^2 \\
        \hat m &= \frac{\mu_{t+1}\, m}{1 - \Pi_t \mu_{t+1}} + \frac{(1 - \mu_t)\, g}{1 - \Pi_t},
            \qquad \hat v = \frac{v}{1 - \beta_2^t} \\
        w &\leftarrow w - \eta\, \hat m / (\sqrt{\hat v} + \epsilon)

    Slots: ``"momentum"`` (m), ``"velocity"`` (v). ``momentum_decay`` is :math:`\psi`. Keras 3
    uses :math:`\psi = 1` (the default here); Dozat's paper and PyTorch's ``NAdam`` use
    ``momentum_decay=0.004``, which makes :math:`\mu_t` approach :math:`\beta_1` far more slowly.

    >>> import lamina
    >>> w = lamina.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = Nadam(learning_rate=0.1)
    >>> opt.apply([w.data * 2], [w]); w.data.round(4)  # m_hat = 1.0628 g on the first step
    array([ 0.8937, -1.8937], dtype=float32)
    """

    _hyperparameters = ("beta_1", "beta_2", "epsilon", "momentum_decay")

    def __init__(
        self,
        learning_rate=0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        *,
        momentum_decay: float = 1.0,
        **kwargs,
    ):
        super().__init__(learning_rate, **kwargs)
        self.beta_1 = check_fraction("beta_1", beta_1)
        self.beta_2 = check_fraction("beta_2", beta_2)
        self.epsilon = check_non_negative("epsilon", epsilon)
        self.momentum_decay = check_non_negative("momentum_decay", momentum_decay)
        self._mu_product = (0, 1.0)  # (t, prod of mu_1..mu_t), advanced once per step

    def build_state(self, param) -> dict:
        return {"momentum": xp.zeros_like(param), "velocity": xp.zeros_like(param)}

    def _mu(self, t: int) -> float:
        return self.beta_1 * (1.0 - 0.5 * 0.96 ** (self.momentum_decay * t))

    def _product(self, t: int) -> float:
        done, product = self._mu_product
        if done != t:  # first variable of a step; a jump means set_state or a restart
            product = self._mu(t) * (product if done == t - 1 else self._product_upto(t - 1))
            self._mu_product = (t, product)
        return product

    def _product_upto(self, t: int) -> float:
        return math.prod(self._mu(i) for i in range(1, t + 1))

    def update(self, param, grad, state, lr, t):
        b1, b2 = self.beta_1, self.beta_2
        mu_t, mu_next, product = self._mu(t), self._mu(t + 1), self._product(t)
        m, v = state["momentum"], state["velocity"]
        tmp, work = self._scratch_like(param), self._scratch_like(param, 1)
        xp.subtract(grad, m, out=tmp)  # m += (1 - b1) (g - m)
        tmp *= 1.0 - b1
        m += tmp
        xp.multiply(grad, grad, out=tmp)  # v += (1 - b2) (g^2 - v)
        tmp -= v
        tmp *= 1.0 - b2
        v += tmp
        xp.multiply(grad, (1.0 - mu_t) / (1.0 - product), out=tmp)  # m_hat
        tmp += xp.multiply(m, mu_next / (1.0 - product * mu_next), out=work)
        xp.sqrt(v, out=work)  # sqrt(v_hat) + eps
        work *= 1.0 / math.sqrt(1.0 - b2**t)
        work += self.epsilon
        tmp /= work
        tmp *= lr
        param -= tmp
