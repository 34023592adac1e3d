"""Shared test helpers."""

from __future__ import annotations

import numpy as np

from lamina.testing import check_gradients


def check_op(fn, *shapes, seed=0, positive=False, **kwargs):
    """Gradient-check ``fn`` on float64 random inputs of the given shapes."""
    rng = np.random.default_rng(seed)
    inputs = [rng.uniform(0.5, 2.0, size=s) if positive else rng.normal(size=s) for s in shapes]
    return check_gradients(fn, *inputs, **kwargs)


def check_layer_gradients(layer, x, training=False, seed=0, eps=1e-6, atol=1e-6, rtol=1e-4):
    """Gradient-check a float64 layer w.r.t. its input and every trainable weight, perturbing
    weights in place (so any layer works, whatever it does with its weights)."""
    from lamina import Tensor

    x = np.asarray(x, dtype=np.float64)
    xt = Tensor(x.copy(), requires_grad=True)
    out = layer(xt, training=training)
    weights = np.random.default_rng(seed).uniform(0.5, 1.5, size=out.shape)
    for v in layer.trainable_weights:
        v.grad = None
    out.backward(weights)
    params = [(xt, xt.grad)] + [(v, v.grad) for v in layer.trainable_weights]

    def value():
        return float(np.sum(layer(Tensor(xt.data), training=training).numpy() * weights))

    for p, analytic in params:
        numeric = np.zeros_like(p.data)
        flat = p.data.reshape(-1)
        for j in range(flat.size):
            orig = flat[j]
            flat[j] = orig + eps
            plus = value()
            flat[j] = orig - eps
            minus = value()
            flat[j] = orig
            numeric.reshape(-1)[j] = (plus - minus) / (2 * eps)
        np.testing.assert_allclose(
            analytic, numeric, atol=atol, rtol=rtol, err_msg=f"gradient of {p.name or 'input'}"
        )
    return True


def check_layer(layer_factory, input_shape, seed=0):
    """Output shape, config round trip, save/load round trip and one training step that lowers
    the loss, for a layer made by ``layer_factory()`` on inputs of ``input_shape``."""
    import lamina
    from lamina.models import Sequential, load_model

    rng = np.random.default_rng(seed)
    x = rng.normal(size=input_shape).astype(np.float32)
    layer = layer_factory()
    out = layer(x)
    expected = layer.compute_output_shape((None, *input_shape[1:]))
    assert tuple(out.shape[1:]) == tuple(expected[1:]), (out.shape, expected)

    clone = type(layer).from_config(layer.get_config())
    clone(x)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(clone(x).numpy(), out.numpy(), rtol=1e-6, atol=1e-6)

    model = Sequential([lamina.layers.Input(shape=input_shape[1:]), layer_factory()])
    before = model.predict(x, verbose=0)
    import os
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "m.lamina")
        model.save(path)
        loaded = load_model(path)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), before)

    if model.trainable_weights:
        target = rng.normal(size=before.shape).astype(np.float32)

        def loss_value():
            return lamina.ops.mean((model(x, training=False) - target) ** 2)

        loss = loss_value()
        loss.backward()
        with lamina.no_grad():
            for v in model.trainable_weights:
                v.data -= 1e-2 * v.grad
        assert loss_value().item() < loss.item()
    return True
