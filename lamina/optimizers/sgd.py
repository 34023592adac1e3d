"""Stochastic gradient descent, with optional (Nesterov) momentum."""

from __future__ import annotations

from lamina.backend import xp
from lamina.optimizers.optimizer import Optimizer, check_fraction


class SGD(Optimizer):
    r"""Gradient descent with optional momentum (Keras's formulation).

    Without momentum: :math:`w \leftarrow w - \eta g`. With momentum :math:`\mu`, the
    ``"momentum"`` slot :math:`m` (starting at 0) is a velocity:

    .. math::
        m &\leftarrow \mu m - \eta g \\
        w &\leftarrow w + m \quad\text{or, with nesterov,}\quad w \leftarrow w + \mu m - \eta g

    For a constant :math:`\eta` this equals PyTorch's ``SGD(momentum=mu, nesterov=...)``
    (``b = mu b + g; w -= lr b``) with :math:`m = -\eta b`. Batch, mini-batch and stochastic
    gradient descent differ only in ``fit(batch_size=...)``.

    >>> import lamina
    >>> w = lamina.tensor([1.0], requires_grad=True)
    >>> opt = SGD(learning_rate=0.1, momentum=0.9, params=[w])
    >>> for _ in range(2):
    ...     opt.zero_grad(); (w * w).sum().backward(); _ = opt.step()
    >>> w.data.round(4)  # 1 - 0.2 = 0.8; m = 0.9 * -0.2 - 0.1 * 1.6 = -0.34
    array([0.46], dtype=float32)
    """

    _hyperparameters = ("momentum", "nesterov")

    def __init__(
        self,
        learning_rate=0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
        **kwargs,
    ):
        super().__init__(learning_rate, **kwargs)
        self.momentum = check_fraction("momentum", momentum, include_one=True)
        self.nesterov = bool(nesterov)

    def build_state(self, param) -> dict:
        return {"momentum": xp.zeros_like(param)} if self.momentum else {}

    def update(self, param, grad, state, lr, t):
        step = xp.multiply(grad, lr, out=self._scratch_like(param))  # lr * g
        if not state:
            param -= step
            return
        m, mu = state["momentum"], self.momentum
        m *= mu
        m -= step
        if self.nesterov:
            param -= step
            param += xp.multiply(m, mu, out=step)
        else:
            param += m
