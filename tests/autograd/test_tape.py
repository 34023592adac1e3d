"""GradientTape: gradients of chosen sources, leaving every .grad untouched."""

import numpy as np
import pytest

import lamina
from lamina import ops
from lamina.layers import Dense


def test_gradient_equals_backward_and_leaves_grad_untouched(rng):
    x = rng.normal(size=(5, 3)).astype("float32")
    layer = Dense(2, activation="tanh")
    layer.build((None, 3))
    with lamina.GradientTape() as tape:
        loss = ops.mean(ops.square(layer(x)))
    grads = tape.gradient(loss, layer.trainable_weights)
    assert all(w.grad is None for w in layer.trainable_weights)
    loss.backward()
    for g, w in zip(grads, layer.trainable_weights):
        np.testing.assert_allclose(g, w.grad, rtol=1e-6)


def test_only_the_named_sources_get_gradients():
    a = lamina.tensor([1.0, 2.0], requires_grad=True)
    b = lamina.tensor([3.0], requires_grad=True)
    with lamina.GradientTape() as tape:
        loss = (a * b).sum()
    assert tape.gradient(loss, [a]) == [pytest.approx(np.array([3.0, 3.0]))]
    assert a.grad is None and b.grad is None  # a GAN's other network stays clean


def test_structure_unconnected_and_intermediate_sources():
    a = lamina.tensor([1.0, 2.0], requires_grad=True)
    c = lamina.tensor([5.0], requires_grad=True)
    with lamina.GradientTape(persistent=True) as tape:
        h = a * 3.0
        loss = (h * h).sum()
    grads = tape.gradient(loss, {"a": a, "pair": (h, c)})
    np.testing.assert_allclose(grads["a"], [18.0, 36.0])
    np.testing.assert_allclose(grads["pair"][0], [6.0, 12.0])
    assert grads["pair"][1] is None
    zero = tape.gradient(loss, c, unconnected_gradients="zero")
    np.testing.assert_array_equal(zero, [0.0])


def test_watch_a_constant_and_several_targets():
    x = lamina.tensor([1.0, -2.0])
    with lamina.GradientTape() as tape:
        tape.watch(x)
        y1 = (x * x).sum()
        y2 = (x * 2.0).sum()
    np.testing.assert_allclose(tape.gradient([y1, y2], x), [4.0, -2.0])


def test_output_gradients_and_errors():
    x = lamina.tensor([1.0, 2.0], requires_grad=True)
    with lamina.GradientTape() as tape:
        y = x * x
    np.testing.assert_allclose(tape.gradient(y, x, output_gradients=[1.0, 0.5]), [2.0, 2.0])
    with pytest.raises(RuntimeError, match="persistent"):
        tape.gradient(y, x)
    with lamina.GradientTape() as tape:
        y = x * x
    with pytest.raises(ValueError, match="output_gradients has shape"):
        tape.gradient(y, x, output_gradients=[1.0])
    with pytest.raises(TypeError, match="sources must be lamina tensors"):
        lamina.GradientTape().gradient(y, np.ones(2))


def test_tape_records_inside_no_grad():
    w = lamina.tensor([2.0], requires_grad=True)
    with lamina.no_grad():
        with lamina.GradientTape() as tape:
            y = w * w
        assert not lamina.is_grad_enabled()
    np.testing.assert_allclose(tape.gradient(y, w), [4.0])
