"""lamina.random: Keras's seeding rules and the distributions' shapes and ranges."""

import numpy as np
import pytest

import lamina
from lamina import random


def test_int_seed_repeats_generator_advances_none_follows_lamina_seed():
    a, b = random.normal((3, 2), seed=5), random.normal((3, 2), seed=5)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    gen = random.SeedGenerator(5)
    first, second = random.normal((3, 2), seed=gen), random.normal((3, 2), seed=gen)
    assert not np.array_equal(first.numpy(), second.numpy())
    lamina.seed(3)
    c = random.uniform((4,))
    lamina.seed(3)
    np.testing.assert_array_equal(c.numpy(), random.uniform((4,)).numpy())
    with pytest.raises(ValueError, match="seed must be"):
        random.normal((2,), seed="x")


def test_distributions():
    z = random.normal((20000,), mean=2.0, stddev=0.5, seed=0).numpy()
    assert z.dtype == np.float32 and abs(z.mean() - 2.0) < 0.02 and abs(z.std() - 0.5) < 0.02
    u = random.uniform((1000,), minval=-1, maxval=3, seed=0).numpy()
    assert u.min() >= -1 and u.max() < 3
    i = random.randint((1000,), 2, 5, seed=0).numpy()
    assert set(np.unique(i)) == {2, 3, 4} and i.dtype == np.int32
    t = random.truncated_normal((1000,), stddev=2.0, seed=0).numpy()
    assert np.abs(t).max() <= 4.0
    s = random.shuffle(np.arange(10), seed=0).numpy()
    assert sorted(s) == list(range(10)) and not np.array_equal(s, np.arange(10))


def test_dropout_scales_kept_entries_and_passes_gradients():
    x = lamina.tensor(np.ones((100, 50)), requires_grad=True)
    y = random.dropout(x, 0.4, seed=1)
    kept = y.numpy() != 0
    assert 0.5 < kept.mean() < 0.7
    np.testing.assert_allclose(y.numpy()[kept], 1 / 0.6, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, kept / 0.6, rtol=1e-6)
    shared = random.dropout(np.ones((4, 3, 5)), 0.5, noise_shape=(4, 1, 5), seed=2).numpy()
    assert (shared == shared[:, :1]).all()
