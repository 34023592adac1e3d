"""Higher-order gradients: recorded backward passes, checked against float64 differences."""

import numpy as np
import pytest

import lamina
from lamina import backend, layers, ops
from lamina.testing import check_gradients


def gradient_of(f):
    """x -> d f(x) / d x as a recorded tensor, so that check_gradients differentiates it again
    (a Hessian-vector product) and compares it with central differences of the gradient."""

    def first(*xs):
        with lamina.enable_grad():
            xs = [x if x.requires_grad else lamina.Tensor(x.data, requires_grad=True) for x in xs]
            grads = lamina.autograd.grad(f(*xs), xs, create_graph=True, materialize_grads=True)
            return sum(((g * (i + 1)).sum() for i, g in enumerate(grads)), start=0.0) + sum(
                (g * g).sum() for g in grads
            )

    return first


CASES = {
    "arithmetic": (lambda a, b: (ops.sin(a) * ops.exp(b) / (1 + a * a) - b).sum(), [(3,), (3,)]),
    "pow": (lambda a, b: ((ops.abs(a) + 0.5) ** b).sum() + (a.mean() ** 2), [(3,), (3,)]),
    "sqrt log abs": (lambda a: (ops.sqrt(a * a + 1) + ops.log(a * a + 1) + ops.abs(a) ** 3).sum(),
                     [(4,)]),
    "elementwise": (lambda a: (ops.rsqrt(a * a + 1) + ops.log1p(a * a) + ops.cos(a)
                               + ops.erf(a)).sum(), [(4,)]),
    "matmul": (lambda a, b: (ops.matmul(a, b) ** 2).sum(), [(2, 3), (3, 4)]),
    "matmul 1-D": (lambda a, b: (ops.matmul(a, b) ** 2).sum(), [(3,), (2, 3, 4)]),
    "linear": (lambda x, w, b: (ops.linear(x, w, b) ** 3).sum(), [(2, 3, 4), (4, 5), (5,)]),
    "activations": (lambda a: (ops.sigmoid(a) * ops.tanh(a) + ops.softplus(a) + ops.silu(a)
                               + ops.elu(a) ** 2 + ops.leaky_relu(a) ** 3
                               + ops.relu(a) ** 3).sum(), [(6,)]),
    "gelu": (lambda a: (ops.gelu(a) ** 2).sum() + (ops.gelu(a, approximate=True) ** 2).sum(),
             [(5,)]),
    "softmax": (lambda a: (ops.softmax(a) ** 2).sum() + (ops.log_softmax(a) ** 2).sum(),
                [(2, 4)]),
    "reductions": (lambda a: ops.var(a, axis=1).sum() ** 2 + ops.logsumexp(a, axis=0).sum() ** 2
                   + ops.max(a, axis=[0, 1]) ** 2 + ops.mean(a.T ** 3, axis=0).sum(), [(3, 4)]),
    "shaping": (lambda a, b: (ops.concatenate([a, b], axis=1) ** 3).sum()
                + (ops.stack([a, a], 1) ** 3).sum() + (ops.reshape(b, (3, 2)) ** 3).sum(),
                [(2, 2), (2, 3)]),
    "indexing": (lambda a: (a[1:, ::2] ** 3).sum() + (a[[0, 0, 1]] ** 3).sum()
                 + (ops.pad(a, ((1, 0), (0, 2))) ** 3).sum(), [(3, 4)]),
    "take, embedding": (lambda a: (ops.take(a, np.array([2, 0, 2]), axis=1) ** 3).sum()
                         + (ops.take_along_axis(a, np.array([[1], [0], [1]]), 1) ** 3).sum()
                         + (ops.embedding(np.array([[1, 1], [2, 0]]), a) ** 3).sum(),
                         [(3, 3)]),
    "max where clip": (lambda a, b: (ops.maximum(a, b) ** 3).sum() + (ops.where(a > 0, a, b) ** 3)
                       .sum() + (ops.clip(a, -0.5, 0.5) ** 3).sum(), [(5,), (5,)]),
    "batch norm": (lambda x, g, b: (ops.batch_norm(x, g, b) ** 3).sum(), [(4, 3), (3,), (3,)]),
    "batch norm, moving statistics": (
        lambda x, m, v: (ops.batch_norm(x, mean=m, variance=ops.abs(v) + 1.0) ** 3).sum(),
        [(4, 3), (3,), (3,)]),
    "group norm": (lambda x, g, b: (ops.group_norm(x, 2, g, b) ** 3).sum(),
                   [(2, 3, 4), (4,), (4,)]),
    "layer norm": (lambda x, g, b: (ops.layer_norm(x, g, b) ** 3).sum(), [(2, 5), (5,), (5,)]),
    "squared error": (lambda t, p: (lamina.losses.mean_squared_error(t, p) ** 2).sum(),
                      [(3, 4), (3, 4)]),
    "conv2d same s2": (lambda x, k, b: (ops.conv2d(x, k, b, strides=2, padding="same") ** 3).sum(),
                       [(2, 5, 6, 2), (3, 2, 2, 3), (3,)]),
    "conv2d dilated": (lambda x, k: (ops.conv2d(x, k, strides=(2, 1), dilation_rate=(1, 2)) ** 3)
                       .sum(), [(1, 6, 6, 2), (2, 2, 2, 3)]),
    "conv1d": (lambda x, k: (ops.conv1d(x, k, strides=2, padding="same") ** 3).sum(),
               [(2, 7, 2), (3, 2, 3)]),
    "conv3d": (lambda x, k: (ops.conv3d(x, k, strides=2, padding="same") ** 3).sum(),
               [(1, 4, 5, 3, 2), (2, 2, 2, 2, 2)]),
    "max pool": (lambda x: (ops.max_pool2d(x, 3, strides=2, padding="same") ** 3).sum()
                 + (ops.max_pool1d(x[:, 0], 2) ** 3).sum(), [(2, 5, 4, 2)]),
    "average pool": (lambda x: (ops.avg_pool2d(x, 2, strides=1, padding="same") ** 3).sum(),
                     [(1, 3, 4, 2)]),
    "conv2d_transpose": (lambda x, k, b: (ops.conv2d_transpose(x, k, b, strides=2, padding="same")
                                          ** 3).sum(), [(2, 3, 3, 2), (3, 3, 4, 2), (4,)]),
}  # fmt: skip


@pytest.mark.parametrize("name", CASES)
def test_second_derivatives_match_differences_of_the_gradient(name):
    f, shapes = CASES[name]
    rng = np.random.default_rng(0)
    assert check_gradients(gradient_of(f), *[rng.normal(size=s) for s in shapes])


def test_nested_tapes_differentiate_the_inner_gradient():
    x = lamina.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with lamina.GradientTape() as outer:
        with lamina.GradientTape() as inner:
            y = ops.sum(x**3)
        g = inner.gradient(y, x)  # 3 x^2, recorded by outer
        z = ops.sum(g * g)  # 9 sum x^4
    assert isinstance(g, lamina.Tensor)
    np.testing.assert_allclose(outer.gradient(z, x), 36 * np.array([1.0, 8.0, 27.0]), rtol=1e-6)
    with lamina.GradientTape() as alone:  # no outer tape: arrays, as before
        y = ops.sum(x**3)
    assert isinstance(alone.gradient(y, x), np.ndarray)


def critic(x, kernel, bias, dense):
    """A WGAN critic: strided convolution, leaky relu, flatten, linear."""
    h = ops.leaky_relu(ops.conv2d(x, kernel, bias, strides=2, padding="same"), 0.2)
    return ops.linear(ops.reshape(h, (x.shape[0], -1)), dense)


def gradient_penalty(x, kernel, bias, dense):
    """WGAN-GP's penalty, mean((||d critic / d x|| - 1)^2), through nested tapes."""
    with lamina.GradientTape() as tape:
        tape.watch(x)
        pred = critic(x, kernel, bias, dense)
    grads = tape.gradient(pred, [x])[0]
    norm = ops.sqrt(ops.sum(ops.square(grads), axis=[1, 2, 3]))
    return ops.mean((norm - 1.0) ** 2)


def test_gradient_penalty_gradients_match_differences():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 4, 4, 1))
    params = [rng.normal(size=(3, 3, 1, 2)), rng.normal(size=(2,)), rng.normal(size=(8, 1))]

    def penalty(*args):  # an outer tape is open around the penalty, as in train_step
        with lamina.GradientTape():
            return gradient_penalty(*args)

    assert check_gradients(penalty, x, *params, wrt=[1, 2, 3])


def test_gradient_penalty_through_keras_layers_equals_the_ops():
    backend.set_floatx("float64")
    try:
        critic_model = lamina.Sequential([
            layers.Input((8, 8, 1)), layers.Conv2D(4, 3, strides=2, padding="same"),
            layers.LeakyReLU(0.2), layers.Flatten(), layers.Dense(1),
        ])  # fmt: skip
        x = lamina.tensor(np.random.default_rng(2).normal(size=(3, 8, 8, 1)))
        weights = critic_model.trainable_weights
        with lamina.GradientTape() as tape:
            with lamina.GradientTape() as gp_tape:
                gp_tape.watch(x)
                pred = critic_model(x, training=True)
            grads = gp_tape.gradient(pred, x)
            penalty = ops.mean((ops.sqrt(ops.sum(grads * grads, axis=[1, 2, 3])) - 1.0) ** 2)
        analytic = tape.gradient(penalty, weights, unconnected_gradients="zero")
        ops_args = [lamina.tensor(w.numpy(), requires_grad=True) for w in weights[:3]]
        with lamina.GradientTape() as reference_tape:
            reference = gradient_penalty(x, *ops_args)
        np.testing.assert_allclose(penalty.numpy(), reference.numpy(), rtol=1e-12)
        expected = reference_tape.gradient(reference, ops_args, unconnected_gradients="zero")
        for a, b in zip(analytic[:3], expected, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
        assert not np.any(analytic[3])  # the last bias does not change d critic / d x
    finally:
        backend.set_floatx("float32")


def test_torch_style_grad_checks_its_arguments():
    x = lamina.tensor([1.0, 2.0], requires_grad=True)
    unused = lamina.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="not used"):
        lamina.autograd.grad((x * x).sum(), [x, unused])
    g, none = lamina.autograd.grad((x * x).sum(), [x, unused], allow_unused=True)
    assert g.tolist() == [2.0, 4.0] and none is None
    _, zeros = lamina.autograd.grad((x * x).sum(), [x, unused], materialize_grads=True)
    assert zeros.tolist() == [0.0]
    with pytest.raises(RuntimeError, match="grad_outputs"):
        lamina.autograd.grad(x * x, x)
    (g,) = lamina.autograd.grad(x * x, x, grad_outputs=lamina.tensor([1.0, 10.0]))
    assert g.tolist() == [2.0, 40.0]
    with pytest.raises(RuntimeError, match="does not require grad"):
        lamina.autograd.grad(lamina.tensor([1.0]).sum(), x)
    assert lamina.grad((x**3).sum(), x)[0].tolist() == [3.0, 12.0]  # the same function


def test_an_op_without_second_derivative_says_so():
    x = lamina.tensor(np.arange(4.0), requires_grad=True)
    (g,) = lamina.autograd.grad(ops.cumsum(x).sum() ** 2, x, create_graph=True)
    np.testing.assert_allclose(g.numpy(), 2 * 10 * np.array([4.0, 3.0, 2.0, 1.0]))  # right
    with pytest.raises(NotImplementedError, match="CumSum"):
        lamina.autograd.grad(g.sum(), x)
    # recorded again, and beside a path that has a second derivative: still an error, never
    # the other path's value alone
    (g,) = lamina.autograd.grad((ops.cumsum(x) ** 3).sum() + (x**3).sum(), x, create_graph=True)
    with pytest.raises(NotImplementedError, match="CumSum"):
        lamina.autograd.grad(g.sum(), x, create_graph=True)
    with lamina.GradientTape() as outer, lamina.GradientTape() as middle:
        with lamina.GradientTape() as inner:
            y = (ops.cumsum(x) ** 3).sum()
        s = inner.gradient(y, x).sum()
        with pytest.raises(NotImplementedError, match="CumSum"):
            middle.gradient(s, x)
    del outer


def test_powers_have_finite_derivatives_at_zero():
    x = lamina.tensor([0.0, 2.0], requires_grad=True)
    (g,) = lamina.autograd.grad((x**1).sum(), x, create_graph=True)
    (h,) = lamina.autograd.grad(g.sum(), x, create_graph=True)
    assert h.tolist() == [0.0, 0.0]  # PyTorch: 0, not 0 * inf
    (g,) = lamina.autograd.grad((x**2).sum(), x, create_graph=True)
    (h,) = lamina.autograd.grad(g.sum(), x, create_graph=True)
    assert lamina.autograd.grad(h.sum(), x)[0].tolist() == [0.0, 0.0]
    y = lamina.tensor([0.0, 3.0], requires_grad=True)
    (y**0).sum().backward()
    assert y.grad.tolist() == [0.0, 0.0]


def test_grad_of_model_parameters_and_persistent_tapes():
    model = lamina.Sequential([layers.Input((2,)), layers.Dense(1)])
    loss = ops.sum(model(np.ones((3, 2), np.float32)) ** 2)
    grads = lamina.autograd.grad(loss, model.parameters())  # a live view, not a list
    assert [g.shape for g in grads] == [(2, 1), (1,)]
    x = lamina.tensor([3.0], requires_grad=True)
    with lamina.GradientTape(persistent=True) as tape:  # TensorFlow's own-tape second order
        y = x**3
        dy = tape.gradient(y, x)
    np.testing.assert_allclose(tape.gradient(dy, x), [18.0])


def test_a_scalar_mean_squared_has_a_float64_gradient():
    # np.float64 (the array of a 0-d float64 result) is a Python float: it once read as a
    # constant, and x.mean() ** 2 had no gradient
    x = lamina.tensor(np.array([1.0, 2.0, 4.0]), requires_grad=True)
    (x.mean() ** 2).backward()
    np.testing.assert_allclose(x.grad, [14 / 9] * 3)


def test_backward_with_create_graph_points_to_autograd_grad():
    x = lamina.tensor([1.0], requires_grad=True)
    with pytest.raises(NotImplementedError, match="autograd.grad"):
        (x * x).sum().backward(create_graph=True)
