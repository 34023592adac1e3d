"""The backward engine: one topological ordering, then each node's ``backward`` once.

The graph is walked with an explicit stack (no recursion, so a 10,000-op chain is fine) and every
node is visited once (linear time). Each incoming gradient is reduced to its tensor's shape by
``unbroadcast``, checked, cast to the tensor's dtype and accumulated.
"""

from __future__ import annotations


def unbroadcast(grad, shape):
    """Sum ``grad`` over the axes that broadcasting added or stretched, giving ``shape``.

    >>> import numpy as np
    >>> unbroadcast(np.ones((4, 2, 3)), (2, 1)).tolist()
    [[12.0], [12.0]]
    """
    if grad.shape == shape:
        return grad
    axes = broadcast_axes(grad.shape, shape)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    if grad.ndim > len(shape):
        grad = grad.reshape(grad.shape[grad.ndim - len(shape) :])
    if grad.shape != shape:
        raise ValueError(f"gradient of shape {grad.shape} cannot reduce to shape {shape}")
    return grad


def broadcast_axes(grad_shape, shape) -> tuple:
    """The axes of a gradient of ``grad_shape`` that broadcasting to it added (leading) or
    stretched (size 1 in ``shape``): summing over them reduces it to ``shape``."""
    extra = len(grad_shape) - len(shape)
    if extra < 0:
        raise ValueError(f"gradient of shape {grad_shape} cannot reduce to shape {shape}")
    return tuple(range(extra)) + tuple(
        extra + i for i, n in enumerate(shape) if n == 1 and grad_shape[extra + i] != 1
    )


def _topological_order(root):
    """Non-leaf tensors reachable from ``root``, each after all tensors it was computed from."""
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        tensor, expanded = stack.pop()
        if expanded:
            order.append(tensor)
            continue
        if id(tensor) in visited:
            continue
        visited.add(id(tensor))
        stack.append((tensor, True))
        for parent in tensor._node.inputs:
            if (
                getattr(parent, "_node", None) is not None
                and parent.requires_grad
                and id(parent) not in visited
            ):
                stack.append((parent, False))
    return order


def leading_to(order, capture) -> set:
    """The ids of the tensors in ``order`` (topological) whose gradient reaches one of the
    ``capture`` tensors: the only ones a gradient for ``capture`` has to pass through."""
    useful = set(capture)
    for tensor in order:
        if any(id(p) in useful for p in tensor._node.inputs if hasattr(p, "_node")):
            useful.add(id(tensor))
    return useful


def run_backward(root, grad, capture=None):
    """Propagate ``grad`` (an array of ``root``'s shape) to every tensor ``root`` depends on.

    By default each leaf's gradient accumulates into its ``.grad``. With ``capture``, a dict
    keyed by ``id(tensor)``, no ``.grad`` is touched: the gradients of exactly those tensors
    (leaves or intermediate results) are stored in the dict instead, and only the nodes that
    lead to them run their backward.
    """
    from lamina.autograd.tensor import Tensor

    kept = {id(grad)}  # ids of arrays that leaves hold as .grad (the caller holds the seed)

    def deliver(tensor, g):
        if capture is None:
            _accumulate_leaf(tensor, g, kept)
        elif id(tensor) in capture:
            prev = capture[id(tensor)]
            capture[id(tensor)] = g.copy() if prev is None else prev + g

    if root._node is None:  # a leaf: its gradient is the seed itself
        deliver(root, grad)
        return
    order = _topological_order(root)
    useful = None if capture is None else leading_to(order, capture)  # prune: walk no more
    pending = {id(root): grad}
    for tensor in reversed(order):
        g = pending.pop(id(tensor), None)
        if g is None or (useful is not None and id(tensor) not in useful):
            continue
        if capture is not None:
            deliver(tensor, g)
        elif tensor._retain_grad:
            _accumulate_leaf(tensor, g, kept)
        node = tensor._node
        input_grads = node.backward(g)
        if not isinstance(input_grads, tuple):
            input_grads = (input_grads,)
        if len(input_grads) != len(node.inputs):
            raise RuntimeError(
                f"{type(node).__name__}.backward returned {len(input_grads)} gradients "
                f"for {len(node.inputs)} inputs"
            )
        for parent, pg in zip(node.inputs, input_grads, strict=True):
            if pg is None or not isinstance(parent, Tensor) or not parent.requires_grad:
                continue
            if useful is not None and id(parent) not in useful:
                continue
            pdata = parent.data
            if pg.shape != pdata.shape:
                pg = unbroadcast(pg, pdata.shape)
            if pg.dtype != pdata.dtype:
                pg = pg.astype(pdata.dtype)
            if parent._node is None:
                deliver(parent, pg)
            else:
                key = id(parent)
                prev = pending.get(key)
                pending[key] = pg if prev is None else prev + pg


def _accumulate_leaf(tensor, g, kept):
    if tensor.grad is None:
        # .grad must be the leaf's own array (optimizers update it in place), but copying every
        # gradient would double the cost of large elementwise steps: copy only views (sum's
        # read-only broadcast, reshape's) and arrays kept already (add gives one to both sides)
        if g.dtype != tensor.data.dtype:
            g = g.astype(tensor.data.dtype)
        elif g.base is not None or id(g) in kept:
            g = g.copy()
        kept.add(id(g))
        tensor.grad = g
    else:
        tensor.grad = tensor.grad + g
