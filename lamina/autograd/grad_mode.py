"""``no_grad``: a context (and decorator) in which ops record no graph.

>>> import lamina
>>> w = lamina.tensor([1.0, 2.0], requires_grad=True)
>>> with lamina.no_grad():
...     y = w * 2
>>> y.requires_grad
False
"""

from __future__ import annotations

import functools

_state = {"enabled": True}


def is_grad_enabled() -> bool:
    """True unless inside ``no_grad()``."""
    return _state["enabled"]


class no_grad:  # noqa: N801 - lowercase like torch.no_grad, it reads as a statement
    """Disable graph recording inside a ``with`` block or a decorated function."""

    def __enter__(self):
        self._prev = _state["enabled"]
        _state["enabled"] = False
        return self

    def __exit__(self, *exc):
        _state["enabled"] = self._prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with no_grad():
                return fn(*args, **kwargs)

        return wrapper


class enable_grad(no_grad):  # noqa: N801
    """Re-enable graph recording inside a ``no_grad`` region."""

    def __enter__(self):
        self._prev = _state["enabled"]
        _state["enabled"] = True
        return self
