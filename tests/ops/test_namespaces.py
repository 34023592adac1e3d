"""Keras's names in lamina.ops: the aliases are the same functions, ``ops.nn`` and
``ops.numpy`` mirror Keras's sub-namespaces, and every name a tutorial-level ``keras.ops``
user reaches for exists."""

import pytest

import lamina
from lamina import ops

KERAS_NAMES = """
abs add arange argmax argmin argsort broadcast_to cast ceil clip concatenate convert_to_numpy
convert_to_tensor cos cumsum divide einsum elu equal erf exp expand_dims eye flip floor full
full_like gelu greater greater_equal isfinite isinf isnan leaky_relu less less_equal linspace log
log1p log_softmax logical_and logical_not logical_or logical_xor logsumexp matmul max maximum mean
min minimum moveaxis multiply nan_to_num negative normalize not_equal one_hot ones ones_like pad
power prod relu repeat reshape round rsqrt selu shape sigmoid sign silu sin softmax softplus sort
split sqrt square squeeze stack std stop_gradient subtract sum swapaxes swish take
take_along_axis tanh tile top_k transpose tril triu true_divide var where zeros zeros_like
""".split()


@pytest.mark.parametrize("name", KERAS_NAMES)
def test_keras_ops_name_exists_and_is_exported(name):
    assert callable(getattr(ops, name))
    assert name in ops.__all__


def test_aliases_are_the_same_functions():
    assert ops.multiply is ops.mul and ops.subtract is ops.sub and ops.divide is ops.div
    assert ops.negative is ops.neg and ops.power is ops.pow and ops.true_divide is ops.div
    x = lamina.tensor([2.0, 3.0])
    assert ops.power(x, 2).tolist() == [4.0, 9.0]
    assert ops.subtract(x, 1).tolist() == [1.0, 2.0] and ops.negative(x).tolist() == [-2.0, -3.0]


def test_nn_and_numpy_namespaces():
    assert ops.nn.relu is ops.relu and ops.nn.softmax is ops.softmax
    assert ops.nn.one_hot is ops.one_hot and ops.nn.normalize is ops.normalize
    assert ops.numpy.arange is ops.arange and ops.numpy.einsum is ops.einsum
    assert ops.numpy.sum is ops.sum and ops.numpy.tril is ops.tril
    for module in (ops.nn, ops.numpy):
        for name in module.__all__:
            assert getattr(module, name) is getattr(ops, name), name
    assert ops.nn.softmax(lamina.tensor([0.0, 0.0])).tolist() == [0.5, 0.5]
