import numpy as np

from lamina.layers import Dense, Embedding, Identity, Input, get_mask
from lamina.models import Model
from tests.helpers import check_layer


def test_check_layer():
    assert check_layer(Identity, (3, 4, 2))


def test_returns_its_input_and_keeps_the_mask():
    x = np.random.default_rng(0).normal(size=(2, 3)).astype(np.float32)
    np.testing.assert_array_equal(Identity()(x).numpy(), x)
    np.testing.assert_array_equal(Identity()(x, training=True).numpy(), x)
    embedded = Embedding(4, 2, mask_zero=True)(np.array([[1, 0]]))
    assert get_mask(Identity()(embedded)).tolist() == [[True, False]]


def test_lists_and_functional_models():
    a, b = Input(shape=(3,)), Input(shape=(2,))
    out_a, out_b = Identity()([a, b])
    assert (out_a.shape, out_b.shape) == ((None, 3), (None, 2))
    model = Model([a, b], Dense(1, kernel_initializer="ones")(out_a))
    assert model.predict([np.ones((1, 3)), np.ones((1, 2))], verbose=0).tolist() == [[3.0]]
    assert Identity().compute_output_shape((None, 7)) == (None, 7)


def test_gradient_passes_unchanged():
    import lamina

    x = lamina.tensor(np.ones((2, 3), np.float32), requires_grad=True)
    (Identity()(x) * 3).sum().backward()
    np.testing.assert_array_equal(x.grad, np.full((2, 3), 3.0))
