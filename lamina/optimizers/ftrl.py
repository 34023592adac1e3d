"""FTRL-Proximal: follow the regularized leader, with L1 and L2 regularization."""

from __future__ import annotations

from lamina.backend import xp
from lamina.optimizers.optimizer import Optimizer, _is_number, check_non_negative


class Ftrl(Optimizer):
    r"""FTRL-Proximal (McMahan et al., 2013), as Keras computes it.

    With :math:`p` = ``learning_rate_power`` (:math:`\le 0`), :math:`\lambda_1, \lambda_2` the
    L1 and L2 strengths, :math:`\lambda_s` the L2 shrinkage strength and :math:`\beta`:

    .. math::
        \tilde g &= g + 2 \lambda_s w \\
        n' &= n + g^2 \\
        z &\leftarrow z + \tilde g - \frac{n'^{-p} - n^{-p}}{\eta}\, w \\
        w &\leftarrow \frac{\mathrm{clip}(z, -\lambda_1, \lambda_1) - z}
            {n'^{-p} / \eta + 2 \lambda_2 + \beta / \eta}, \qquad n \leftarrow n'

    so :math:`w = 0` wherever :math:`|z| \le \lambda_1` (sparse weights). Slots:
    ``"accumulator"`` (n, starting at ``initial_accumulator_value``), ``"linear"`` (z).
    PyTorch has no FTRL.

    >>> import lamina
    >>> w = lamina.tensor([0.0, 0.0], requires_grad=True)
    >>> opt = Ftrl(learning_rate=0.1, l1_regularization_strength=0.5)
    >>> opt.apply([lamina.tensor([1.0, 0.2]).data], [w]); w.data.round(4)  # |z| = 0.2 < l1: 0
    array([-0.0477,  0.    ], dtype=float32)
    """

    _hyperparameters = (
        "learning_rate_power",
        "initial_accumulator_value",
        "l1_regularization_strength",
        "l2_regularization_strength",
        "l2_shrinkage_regularization_strength",
        "beta",
    )

    def __init__(
        self,
        learning_rate=0.001,
        learning_rate_power: float = -0.5,
        initial_accumulator_value: float = 0.1,
        l1_regularization_strength: float = 0.0,
        l2_regularization_strength: float = 0.0,
        l2_shrinkage_regularization_strength: float = 0.0,
        beta: float = 0.0,
        **kwargs,
    ):
        super().__init__(learning_rate, **kwargs)
        if not (_is_number(learning_rate_power) and learning_rate_power <= 0):
            raise ValueError(f"learning_rate_power must be <= 0, got {learning_rate_power!r}")
        self.learning_rate_power = float(learning_rate_power)
        self.initial_accumulator_value = check_non_negative(
            "initial_accumulator_value", initial_accumulator_value
        )
        self.l1_regularization_strength = check_non_negative(
            "l1_regularization_strength", l1_regularization_strength
        )
        self.l2_regularization_strength = check_non_negative(
            "l2_regularization_strength", l2_regularization_strength
        )
        self.l2_shrinkage_regularization_strength = check_non_negative(
            "l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength
        )
        self.beta = check_non_negative("beta", beta)

    def build_state(self, param) -> dict:
        return {
            "accumulator": xp.full_like(param, self.initial_accumulator_value),
            "linear": xp.zeros_like(param),
        }

    def update(self, param, grad, state, lr, t):
        n, z = state["accumulator"], state["linear"]
        power = -self.learning_rate_power
        l1, shrink = self.l1_regularization_strength, self.l2_shrinkage_regularization_strength
        n_new = n + grad * grad
        scaled_new = n_new**power
        sigma = (scaled_new - n**power) / lr
        z += grad - sigma * param
        if shrink:
            z += (2.0 * shrink) * param
        quadratic = scaled_new / lr + 2.0 * self.l2_regularization_strength + self.beta / lr
        param[...] = (xp.clip(z, -l1, l1) - z) / quadratic
        n[...] = n_new
