"""``Discretization``: bucket continuous values into ranges given by ``bin_boundaries`` or learned
by ``adapt`` as quantiles.

>>> import numpy as np
>>> from lamina.layers import Discretization
>>> x = np.array([[-1.5, 1.0, 3.4, 0.5], [0.0, 3.0, 1.3, 0.0]])
>>> Discretization(bin_boundaries=[0.0, 1.0, 2.0])(x).tolist()
[[0, 2, 3, 1], [1, 3, 2, 1]]
>>> layer = Discretization(num_bins=4)
>>> layer.adapt(x)
>>> layer.bin_boundaries, layer(x).tolist()
([0.0, 0.5, 1.3], [[0, 2, 3, 2], [1, 3, 3, 1]])
"""

from __future__ import annotations

import numbers

import numpy as np

from lamina import backend
from lamina.autograd.tensor import Tensor
from lamina.layers import symbolic
from lamina.layers.layer import Layer
from lamina.layers.preprocessing.category_encoding import encode, encoded_shape
from lamina.layers.text_vectorization import _is_int

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count")


def _values(data) -> np.ndarray:
    if isinstance(data, Tensor):
        data = data.data
    array = np.asarray(backend.to_numpy(data))
    if array.dtype.kind not in "fiub":
        raise TypeError(f"Discretization expects numbers, got an array of dtype {array.dtype}")
    return array


class Discretization(Layer):
    """Replace each value by the index of its bin: with boundaries ``b``, bin 0 is
    ``(-inf, b[0])``, bin ``i`` is ``[b[i-1], b[i])`` and the last is ``[b[-1], inf)``.

    Give ``bin_boundaries`` (sorted), or ``num_bins`` and call ``adapt(data)``, which sets the
    ``num_bins - 1`` boundaries to the quantiles ``1/num_bins, 2/num_bins, ...`` of all values
    of ``data``: ``np.quantile(values, q, method="interpolated_inverted_cdf")``, which is what
    Keras's summary computes exactly on data of fewer than ``1 / epsilon`` values (beyond that
    Keras approximates within ``epsilon``; lamina stays exact, and keeps ``epsilon`` for
    compatibility). ``output_mode``: ``"int"`` (int32 bin indices, the input's shape) or
    ``"one_hot"``, ``"multi_hot"``, ``"count"`` (float32 vectors of ``num_bins``, as
    ``CategoryEncoding``).
    """

    def __init__(
        self,
        bin_boundaries=None,
        num_bins: int | None = None,
        epsilon: float = 0.01,
        output_mode: str = "int",
        sparse: bool = False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if output_mode not in OUTPUT_MODES:
            raise ValueError(
                f"Discretization output_mode must be one of {OUTPUT_MODES}, got {output_mode!r}"
            )
        if (bin_boundaries is None) == (num_bins is None):
            raise ValueError(
                "Discretization needs exactly one of bin_boundaries (the bin edges) and "
                f"num_bins (then call adapt()), got bin_boundaries={bin_boundaries!r}, "
                f"num_bins={num_bins!r}"
            )
        if num_bins is not None and not (_is_int(num_bins) and num_bins >= 1):
            raise ValueError(
                f"Discretization num_bins must be a positive integer, got {num_bins!r}"
            )
        if not (isinstance(epsilon, numbers.Real) and 0 < epsilon < 1):
            raise ValueError(f"Discretization epsilon must be in (0, 1), got {epsilon!r}")
        if sparse:
            raise ValueError("Discretization sparse=True is not supported: lamina has no sparse "
                             "tensors")  # fmt: skip
        self.num_bins = None if num_bins is None else int(num_bins)
        self.epsilon = float(epsilon)
        self.output_mode = output_mode
        self.sparse = False
        self.bin_boundaries = None
        if bin_boundaries is not None:
            self._set_boundaries(bin_boundaries)
        self.built = True  # no weights: the boundaries travel in the config

    def _set_boundaries(self, boundaries) -> None:
        edges = np.asarray(boundaries, dtype=np.float64)
        if edges.ndim != 1 or not np.isfinite(edges).all() or (np.diff(edges) < 0).any():
            raise ValueError(
                f"Discretization bin_boundaries must be a sorted list of finite numbers, got "
                f"{boundaries!r}"
            )
        self.bin_boundaries = edges.tolist()

    def adapt(self, data, batch_size: int | None = None, steps: int | None = None) -> None:
        """Set the boundaries to the quantiles of every value in ``data`` (an array, or an
        iterable of batches, at most ``steps`` of them; ``(x, y)`` pairs give x)."""
        if self.num_bins is None:
            raise ValueError(
                "this Discretization was given bin_boundaries; create it with num_bins to adapt"
            )
        if isinstance(data, (np.ndarray, list, tuple, Tensor)):
            batches = [data]
        else:
            batches = (b[0] if isinstance(b, tuple) else b for b in data)
        parts = []
        for i, batch in enumerate(batches):
            if steps is not None and i >= steps:
                break
            values = _values(batch).astype(np.float64).ravel()
            parts.append(values[~np.isnan(values)])
        values = np.concatenate(parts) if parts else np.zeros(0)
        if values.size == 0:
            raise ValueError(f"{self.name}.adapt() received no values: pass a non-empty array")
        quantiles = np.arange(1, self.num_bins) / self.num_bins
        edges = np.quantile(values, quantiles, method="interpolated_inverted_cdf")
        self.bin_boundaries = edges.tolist()

    def __call__(self, inputs, *args, **kwargs):
        if isinstance(inputs, (list, tuple)) and not symbolic.is_symbolic(inputs):
            inputs = np.asarray(inputs)  # a list of values, not a list of inputs
        return super().__call__(inputs, *args, **kwargs)

    def call(self, inputs, training=False):
        if self.bin_boundaries is None:
            raise ValueError(
                f"{self.name} has no bin boundaries yet: call adapt() on sample data first, or "
                "pass bin_boundaries= when creating the layer"
            )
        values = _values(inputs)
        # compare in the input's precision: a float32 value equal to a boundary falls above it
        dtype = values.dtype if values.dtype.kind == "f" else np.float64
        indices = np.digitize(values, np.asarray(self.bin_boundaries, dtype=dtype))
        if self.output_mode == "int":
            return Tensor(indices.astype(np.int32))
        return Tensor(
            encode(indices, len(self.bin_boundaries) + 1, self.output_mode, who=self.name)
        )

    def compute_output_shape(self, input_shape):
        depth = self.num_bins if self.bin_boundaries is None else len(self.bin_boundaries) + 1
        return encoded_shape(input_shape, depth, self.output_mode)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "bin_boundaries": self.bin_boundaries,
            "num_bins": self.num_bins,
            "epsilon": self.epsilon,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
        }

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        boundaries = config.get("bin_boundaries")
        if boundaries is not None and config.get("num_bins") is not None:
            # an adapted layer: both are set, which __init__ refuses; restore the boundaries
            del config["bin_boundaries"]
            layer = cls(**config)
            layer._set_boundaries(boundaries)
            return layer
        return cls(**config)
