"""``einsum``: Einstein summation over any number of operands, one Function whose backward is
itself a few einsums.

The gradient of operand ``i`` is the einsum of the output gradient with the other operands
onto operand ``i``'s subscripts. Two cases need more than that: a letter that appears only in
operand ``i`` (summed away, so its gradient is broadcast back along it) and a letter repeated
within operand ``i`` (a diagonal, so the gradient is written back onto it).

>>> import lamina
>>> a = lamina.tensor([[1.0, 2.0]], requires_grad=True)
>>> lamina.ops.einsum("ij,jk->ik", a, lamina.tensor([[3.0], [4.0]])).tolist()
[[11.0]]
"""

from __future__ import annotations

from lamina.autograd.function import Function
from lamina.autograd.tensor import Tensor
from lamina.backend import xp

_ELLIPSIS = "."  # "..." is held as one token


def _tokens(term: str) -> list:
    return list(term.replace("...", _ELLIPSIS))


def _parse(subscripts: str, count: int):
    """``(input token lists, output token list)``, the implicit output made explicit."""
    subscripts = subscripts.replace(" ", "")
    lhs, arrow, out = subscripts.partition("->")
    terms = [_tokens(t) for t in lhs.split(",")]
    if len(terms) != count:
        raise ValueError(f"einsum: {subscripts!r} names {len(terms)} operands, {count} were given")
    if arrow:
        return terms, _tokens(out)
    letters = [t for term in terms for t in term if t != _ELLIPSIS]
    implicit = sorted(t for t in set(letters) if letters.count(t) == 1)
    has_ellipsis = any(_ELLIPSIS in term for term in terms)
    return terms, ([_ELLIPSIS] if has_ellipsis else []) + implicit


def _text(tokens) -> str:
    return "".join(tokens).replace(_ELLIPSIS, "...")


def _layout(tokens, shape):
    """Each token's dimensions in ``shape``: ``{token: (sizes...)}`` (the ellipsis may hold
    several dimensions, a letter one)."""
    spread = len(shape) - (len(tokens) - (_ELLIPSIS in tokens))
    sizes, pos = {}, 0
    for t in tokens:
        width = spread if t == _ELLIPSIS else 1
        sizes[t] = tuple(shape[pos : pos + width])
        pos += width
    return sizes


class Einsum(Function):
    def forward(self, *operands, subscripts=""):
        self.terms, self.out = _parse(subscripts, len(operands))
        self.operands = operands
        return xp.einsum(subscripts, *operands)

    def backward(self, grad):
        return tuple(self._grad_of(i, grad) for i in range(len(self.operands)))

    def _grad_of(self, i, grad):
        operand, term = self.operands[i], self.terms[i]
        if isinstance(operand, (int, float)) or not hasattr(operand, "shape"):
            return None
        others = [j for j in range(len(self.operands)) if j != i]
        available = set(self.out).union(*(self.terms[j] for j in others))
        unique = list(dict.fromkeys(term))
        target = [t for t in unique if t in available]
        expr = ",".join(_text(t) for t in [self.out] + [self.terms[j] for j in others])
        if _ELLIPSIS in target or "..." not in expr:
            g = xp.einsum(f"{expr}->{_text(target)}", grad, *(self.operands[j] for j in others))
        else:  # NumPy needs "..." in the output when an input has it: sum those dims after
            g = xp.einsum(f"{expr}->...{_text(target)}", grad, *(self.operands[j] for j in others))
            g = g.sum(axis=tuple(range(g.ndim - len(target))))
        sizes = _layout(term, operand.shape)
        g = _fit(g, target, sizes)
        # letters only in this operand were summed away: the gradient is the same along them
        shape, pos = [], 0
        for t in unique:
            width = len(sizes[t])
            if t in target:
                shape.extend(g.shape[pos : pos + width])
                pos += width
            else:
                shape.extend([1] * width)
        full = tuple(n for t in unique for n in sizes[t])
        g = xp.broadcast_to(g.reshape(shape), full)
        if len(unique) == len(term):
            return g
        # a letter repeated in this operand is a diagonal: write the gradient back onto it
        grids, dim = {}, 0
        for t in unique:
            grids[t] = []
            for n in sizes[t]:
                axes = [1] * len(full)
                axes[dim] = n
                grids[t].append(xp.arange(n).reshape(axes))
                dim += 1
        index = tuple(grid for t in term for grid in grids[t])
        out = xp.zeros(operand.shape, dtype=grad.dtype)
        out[index] = g
        return out


def _fit(g, tokens, sizes):
    """Sum ``g`` (laid out as ``tokens``) over what broadcasting against the other operands
    added: extra leading ellipsis dimensions and dimensions where this operand has size 1."""
    pos, sum_axes, drop = 0, [], []
    for t in tokens:
        want = sizes[t]
        width = len(want)
        if t == _ELLIPSIS:
            width = g.ndim - pos - (len(tokens) - tokens.index(t) - 1)
            extra = width - len(want)
            drop.extend(range(pos, pos + extra))
            start = pos + extra
        else:
            start = pos
        for k, n in enumerate(want):
            if n == 1 and g.shape[start + k] != 1:
                sum_axes.append(start + k)
        pos += width
    if sum_axes:
        g = g.sum(axis=tuple(sum_axes), keepdims=True)
    if drop:
        g = g.sum(axis=tuple(drop))
    return g


def einsum(subscripts, *operands, **kwargs):
    """Einstein summation, NumPy's notation: ``"ij,jk->ik"`` is a matrix product, ``"ii->"``
    a trace, ``"bij->bji"`` a batched transpose; ``...`` stands for broadcast dimensions, and
    without ``->`` the output holds the letters used once, sorted. Differentiable in every
    operand.

    >>> import lamina
    >>> einsum("ii->", lamina.tensor([[1.0, 2.0], [3.0, 4.0]])).item()
    5.0
    """
    if kwargs:
        raise TypeError(f"einsum got unexpected keyword arguments {sorted(kwargs)}")
    tensors = [x if isinstance(x, Tensor) else Tensor(x) for x in operands]
    return Einsum.apply(*tensors, subscripts=subscripts)
