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
    """Disable graph recording inside a ``with`` block or a decorated function
    (``@no_grad()`` or ``@no_grad``)."""

    enabled = False

    def __new__(cls, fn=None):
        self = super().__new__(cls)
        self._prev = []
        return self(fn) if callable(fn) else self

    def __enter__(self):
        self._prev.append(_state["enabled"])  # a stack: one instance may be entered twice
        _state["enabled"] = self.enabled
        return self

    def __exit__(self, *exc):
        _state["enabled"] = self._prev.pop()
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with type(self)():  # enable_grad inherits this: it must not disable
                return fn(*args, **kwargs)

        return wrapper


class enable_grad(no_grad):  # noqa: N801
    """Re-enable graph recording inside a ``no_grad`` region."""

    enabled = True
