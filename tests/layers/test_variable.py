"""Variable: Keras's ``value``, ``path``, ``assign``/``assign_add``/``assign_sub`` and
``numpy()``, and how trainability decides ``requires_grad``."""

import numpy as np

import lamina
from lamina.layers.variable import Variable


def test_value_path_and_in_place_updates():
    v = Variable([1.0, 2.0], name="dense/kernel")
    assert v.value is v and v.path == "dense/kernel" and v.name == "dense/kernel"
    v.assign_add([1.0, 1.0])
    v.assign_sub(np.array([0.5, 0.5]))
    np.testing.assert_array_equal(v.numpy(), [1.5, 2.5])
    assert v.is_leaf and v.requires_grad


def test_value_grad_is_the_gradient():
    layer = lamina.layers.Dense(2, name="dense_v")
    layer.build((None, 3))
    layer(np.ones((4, 3), np.float32)).sum().backward()
    kernel = layer.kernel
    assert kernel.path == "dense_v/kernel"
    np.testing.assert_array_equal(kernel.value.grad, np.full((3, 2), 4.0))


def test_integer_variables_are_not_trainable():
    v = Variable(np.array([1, 2]), name="steps")
    assert not v.trainable and not v.requires_grad
    v.assign_add([1, 1])
    assert v.tolist() == [2, 3] and v.dtype == np.int64
