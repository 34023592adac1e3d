"""Higher-order gradients: a backward pass that is itself recorded, so it can be differentiated.

``run_backward_graph`` walks the graph as the engine does, but with tensor gradients: each node's
``backward_graph(grad)`` computes its input gradients with lamina's ops, which the autograd
records like any other computation. The gradient that comes back is then a tensor with a graph,
and differentiating it gives second derivatives: the gradient penalty of WGAN-GP, Hessian-vector
products, MAML. ``GradientTape`` does this when it is nested in another tape, and
``lamina.autograd.grad(..., create_graph=True)`` does it as ``torch.autograd.grad``.

An op without ``backward_graph`` still gives correct first-order gradients here; only
differentiating them again raises an error that names the op.

>>> import lamina
>>> x = lamina.tensor([1.0, 2.0], requires_grad=True)
>>> (g,) = lamina.autograd.grad((x**3).sum(), x, create_graph=True)  # 3 x^2
>>> g.tolist()
[3.0, 12.0]
>>> lamina.autograd.grad(g.sum(), x)[0].tolist()  # 6 x
[6.0, 12.0]
"""

from __future__ import annotations

from lamina.autograd import grad_mode
from lamina.autograd.engine import _topological_order, broadcast_axes, leading_to
from lamina.autograd.function import Function
from lamina.autograd.tensor import Tensor


class NotTwiceDifferentiable(Function):
    """Stands for a gradient computed by an op that has no ``backward_graph``: its value is
    right, but differentiating through it raises an error that names the op."""

    def forward(self, value, op=""):
        self.op = op
        return value

    def backward(self, grad):  # one gradient per input would follow; there is none to give
        raise NotImplementedError(
            f"the gradient of {self.op} cannot be differentiated again: this op has no "
            "higher-order gradient in lamina (a backward_graph method). Ops with one include the "
            "arithmetic, matmul, reductions, reshaping and indexing, the common activations, "
            "Dense (linear), convolutions without groups and transposed convolutions, pooling, "
            "batch, layer and group normalization, dropout and the squared error (docs/autograd.md "
            "lists them)"
        )


def sum_to_shape(grad: Tensor, shape: tuple) -> Tensor:
    """The engine's ``unbroadcast`` with tensor ops: sum ``grad`` over the axes that
    broadcasting added or stretched, giving ``shape``."""
    shape = tuple(shape)
    if grad.shape == shape:
        return grad
    axes = broadcast_axes(grad.shape, shape)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


def composite_backward(node, grad: Tensor, composite) -> tuple:
    """A ``backward_graph`` for a fused op: differentiate ``composite(*node.inputs)``, the same
    function written with recorded ops, at ``grad``. Slower than a hand-written backward, but
    correct to every order with no new derivative to get wrong. An input passed twice gets its
    whole gradient at its first position."""
    with grad_mode.enable_grad():
        out = composite(*node.inputs)
    wanted = [x for x in node.inputs if isinstance(x, Tensor) and x.requires_grad]
    capture = {id(x): None for x in wanted}
    if out.requires_grad:
        run_backward_graph(out, grad, capture)
    grads, seen = [], set()
    for x in node.inputs:
        if not isinstance(x, Tensor) or id(x) not in capture or id(x) in seen:
            grads.append(None)
            continue
        seen.add(id(x))
        grads.append(capture[id(x)])
    return tuple(grads)


def _input_grads(node, grad: Tensor) -> tuple:
    """The node's input gradients as tensors: recorded ops where the node has
    ``backward_graph`` (which may answer ``NotImplemented`` for some arguments), otherwise its
    array gradients marked ``NotTwiceDifferentiable``."""
    grads = NotImplemented
    if type(node).backward_graph is not Function.backward_graph:
        with grad_mode.enable_grad():
            grads = node.backward_graph(grad)  # NotImplemented: not for these arguments
    if grads is NotImplemented:
        arrays = node.backward(grad.data)
        arrays = arrays if isinstance(arrays, tuple) else (arrays,)
        name = type(node).__name__
        depends_on = (grad, *node.inputs)
        grads = tuple(
            None if a is None else Tensor._from_op(a, _marker(a, name, depends_on)) for a in arrays
        )
    return grads if isinstance(grads, tuple) else (grads,)


def _marker(array, name, depends_on):
    """The node of a gradient computed without a graph. It is linked to what the gradient
    depends on (the incoming gradient and the op's inputs), so that a later backward pass that
    needs its derivative reaches it, and raises, rather than skip it as unconnected."""
    node = NotTwiceDifferentiable()
    node.forward(array, op=name)
    node.inputs = depends_on
    return node


def run_backward_graph(root: Tensor, grad: Tensor, capture: dict) -> None:
    """Propagate the tensor ``grad`` (of ``root``'s shape) back from ``root``, recording every
    step, and store in ``capture`` (a dict keyed by ``id(tensor)``) the summed gradient tensors
    of exactly those tensors. Branches that lead to none of them are not walked."""
    if root._node is None:
        if id(root) in capture:
            capture[id(root)] = _add(capture[id(root)], grad)
        return
    order = _topological_order(root)  # each tensor after the tensors it was computed from
    useful = leading_to(order, capture)  # ids of tensors whose gradient reaches a captured one
    pending = {id(root): grad}
    for tensor in reversed(order):
        g = pending.pop(id(tensor), None)
        if g is None or id(tensor) not in useful:
            continue
        if id(tensor) in capture:
            capture[id(tensor)] = _add(capture[id(tensor)], g)
        node = tensor._node
        input_grads = _input_grads(node, g)
        if len(input_grads) != len(node.inputs):
            raise RuntimeError(
                f"{type(node).__name__}.backward_graph returned {len(input_grads)} gradients "
                f"for {len(node.inputs)} inputs"
            )
        for parent, pg in zip(node.inputs, input_grads, strict=True):
            if pg is None or not isinstance(parent, Tensor) or not parent.requires_grad:
                continue
            if id(parent) not in useful:
                continue
            with grad_mode.enable_grad():
                pg = sum_to_shape(pg, parent.data.shape)
                if pg.dtype != parent.data.dtype:
                    pg = pg.astype(parent.data.dtype)
            if parent._node is None:
                capture[id(parent)] = _add(capture[id(parent)], pg)
            else:
                pending[id(parent)] = _add(pending.get(id(parent)), pg)


def _add(total, g):
    if total is None:
        return g
    with grad_mode.enable_grad():
        return total + g
