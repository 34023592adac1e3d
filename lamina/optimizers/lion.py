"""Lion: the sign of an interpolated momentum."""

from __future__ import annotations

from lamina.backend import xp
from lamina.optimizers.optimizer import Optimizer, _is_number, check_fraction


class Lion(Optimizer):
    r"""Lion, "EvoLved Sign Momentum" (Chen et al., 2023), as Keras computes it.

    .. math::
        c &= \beta_1 m + (1 - \beta_1) g \\
        w &\leftarrow w - \eta\, \mathrm{sign}(c) \\
        m &\leftarrow \beta_2 m + (1 - \beta_2) g

    Slot: ``"momentum"`` (m). Every coordinate moves by exactly :math:`\eta` (or 0), so Lion
    wants a learning rate 3-10 times smaller than Adam's, and a larger ``weight_decay``
    (decoupled, as in AdamW). ``beta_1`` must lie in (0, 1]: at 0 Lion is sign descent.

    >>> import lamina
    >>> w = lamina.tensor([1.0, -2.0, 0.0], requires_grad=True)
    >>> opt = Lion(learning_rate=0.1)
    >>> opt.apply([lamina.tensor([0.5, -3.0, 0.0]).data], [w]); w.data
    array([ 0.9, -1.9,  0. ], dtype=float32)
    """

    _hyperparameters = ("beta_1", "beta_2")

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.99, **kwargs):
        super().__init__(learning_rate, **kwargs)
        if not (_is_number(beta_1) and 0 < beta_1 <= 1):
            raise ValueError(
                f"beta_1 must be in (0, 1], got {beta_1!r} (at 0 Lion degenerates to sign descent)"
            )
        self.beta_1 = float(beta_1)
        self.beta_2 = check_fraction("beta_2", beta_2, include_one=True)

    def build_state(self, param) -> dict:
        return {"momentum": xp.zeros_like(param)}

    def update(self, param, grad, state, lr, t):
        m, tmp, work = state["momentum"], self._scratch_like(param), self._scratch_like(param, 1)
        xp.multiply(m, self.beta_1, out=tmp)  # c = b1 m + (1 - b1) g
        tmp += xp.multiply(grad, 1.0 - self.beta_1, out=work)
        xp.sign(tmp, out=tmp)
        tmp *= lr
        param -= tmp
        m *= self.beta_2
        m += xp.multiply(grad, 1.0 - self.beta_2, out=work)
