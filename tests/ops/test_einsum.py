"""einsum: NumPy's results for matrix products, batches, traces, diagonals, outer products,
implicit outputs and ellipses, and every operand's gradient against central differences."""

import numpy as np
import pytest

import lamina
from lamina import ops
from lamina.testing import check_gradients

CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),  # implicit output: "ik"
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),
    ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]),  # attention scores
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("i,j->ij", [(2,), (3,)]),
    ("ii->", [(3, 3)]),  # trace
    ("ii->i", [(3, 3)]),  # diagonal
    ("ii", [(3, 3)]),
    ("iij,j->i", [(3, 3, 2), (2,)]),
    ("ij->", [(2, 3)]),
    ("ij->j", [(2, 3)]),
    ("ijk,i->", [(2, 3, 4), (2,)]),  # j and k appear only in the first operand
    ("ij,ij->", [(2, 3), (1, 3)]),  # size-1 dimension broadcast
    ("...ij,jk->...ik", [(2, 5, 2, 3), (3, 4)]),
    ("...ij,...jk->...ik", [(1, 2, 3), (4, 3, 2)]),  # broadcast batch
    ("i...j->j...", [(2, 3, 4)]),
    ("...ii->...i", [(2, 3, 3)]),
    ("ab...,b->a...", [(2, 3, 4, 1), (3,)]),
]


@pytest.mark.parametrize("subscripts, shapes", CASES, ids=[c[0] for c in CASES])
def test_einsum_forward_and_gradients(subscripts, shapes, rng):
    arrays = [rng.normal(size=s) for s in shapes]
    out = ops.einsum(subscripts, *(lamina.tensor(a) for a in arrays))
    np.testing.assert_allclose(out.numpy(), np.einsum(subscripts, *arrays), rtol=1e-12)
    assert check_gradients(lambda *ts: ops.einsum(subscripts, *ts), *arrays)


def test_einsum_with_a_constant_operand_and_errors(rng):
    a = lamina.tensor(rng.normal(size=(2, 3)), requires_grad=True)
    b = rng.normal(size=(3,))
    ops.einsum("ij,j->i", a, b).sum().backward()
    np.testing.assert_allclose(a.grad, np.broadcast_to(b, (2, 3)))
    with pytest.raises(ValueError, match="names 2 operands, 1 were given"):
        ops.einsum("ij,jk->ik", a)
    with pytest.raises(TypeError, match="unexpected keyword arguments"):
        ops.einsum("ij->ji", a, optimize=True)
