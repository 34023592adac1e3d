"""Global settings under Keras's names (``keras.config``): the default float dtype, the fuzz
factor, the array backend and the image layout. The state lives in ``lamina.backend``; these
are the same functions under the names Keras code calls.

>>> import lamina
>>> lamina.config.floatx(), lamina.config.epsilon(), lamina.config.backend()
('float32', 1e-07, 'numpy')
>>> lamina.config.image_data_format()
'channels_last'
"""

from __future__ import annotations

import warnings

from lamina.backend import epsilon, floatx, set_backend, set_epsilon, set_floatx
from lamina.backend import get_backend as backend

_DATA_FORMATS = ("channels_last", "channels_first")


def image_data_format() -> str:
    """The layout of image tensors: always ``"channels_last"``, ``(batch, height, width,
    channels)``, the only one lamina's layers compute in."""
    return "channels_last"


def set_image_data_format(data_format: str) -> None:
    """Keras's switch of the default image layout. lamina computes in ``"channels_last"`` only,
    so that is the one value accepted.

    >>> set_image_data_format("channels_last")
    """
    if data_format not in _DATA_FORMATS:
        raise ValueError(f"data_format must be one of {_DATA_FORMATS}, got {data_format!r}")
    if data_format != "channels_last":
        raise ValueError(
            "lamina's layers compute in channels_last only: transpose channels-first images "
            "with x.transpose(0, 2, 3, 1) (or use layers.Permute) instead"
        )


def enable_unsafe_deserialization() -> None:
    """Keras's opt-in to loading ``Lambda`` layers whose code is stored in the file. lamina never
    deserializes code, so there is nothing to enable: tutorial code that calls this keeps
    running, and a warning says what to do instead."""
    warnings.warn(
        "lamina never deserializes code, so enable_unsafe_deserialization() changes nothing: a "
        "saved Lambda layer stores only its function's name. Pass the function to "
        "load_model(..., custom_objects={'name': function}) or register it with "
        "@lamina.saving.register_keras_serializable()",
        stacklevel=2,
    )


__all__ = [
    "backend",
    "enable_unsafe_deserialization",
    "epsilon",
    "floatx",
    "image_data_format",
    "set_backend",
    "set_epsilon",
    "set_floatx",
    "set_image_data_format",
]
