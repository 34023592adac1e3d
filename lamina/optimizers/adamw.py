"""AdamW: Adam with decoupled weight decay."""

from __future__ import annotations

from lamina.optimizers.adam import Adam


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter, 2019).

    Before each Adam step (see :class:`~lamina.optimizers.Adam`), every weight not excluded by
    ``exclude_from_weight_decay`` shrinks: :math:`w \leftarrow w - \eta\, \lambda\, w`, with
    :math:`\lambda` = ``weight_decay`` and :math:`\eta` the step's learning rate, as in Keras and
    PyTorch's ``AdamW`` (whose default :math:`\lambda` is 0.01; Keras's and lamina's is 0.004).

    >>> import lamina
    >>> w = lamina.tensor([1.0], requires_grad=True)
    >>> opt = AdamW(learning_rate=0.1, weight_decay=0.5)
    >>> opt.apply([w.data * 0], [w]); w.data  # zero gradient: only the decay, 1 - 0.1 * 0.5
    array([0.95], dtype=float32)
    """

    def __init__(
        self,
        learning_rate=0.001,
        weight_decay: float = 0.004,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        **kwargs,
    ):
        if weight_decay is None:
            raise ValueError("AdamW needs a weight_decay > 0 (use Adam for none)")
        super().__init__(
            learning_rate, beta_1, beta_2, epsilon, amsgrad, weight_decay=weight_decay, **kwargs
        )
