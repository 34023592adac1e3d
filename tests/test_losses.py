"""Keras-style losses: values and gradients against PyTorch (fixture written by
tests/fixtures/make_losses.py) and, for the losses PyTorch lacks, against Keras 3
(tests/fixtures/make_keras_losses.py); reductions, sample weights, shape rules, config, lookup."""

import json
import os

import numpy as np
import pytest

import lamina
from lamina import losses, ops
from lamina.testing import check_gradients

FIXTURE = np.load(os.path.join(os.path.dirname(__file__), "fixtures", "losses.npz"))
RTOL, ATOL = 1e-5, 1e-6

# fixture case -> (function, keyword arguments, class)
CASES = {
    "mse": (losses.mean_squared_error, {}, losses.MeanSquaredError),
    "mae": (losses.mean_absolute_error, {}, losses.MeanAbsoluteError),
    "huber": (losses.huber, {}, losses.Huber),
    "huber_delta_0.5": (losses.huber, {"delta": 0.5}, losses.Huber),
    "hinge": (losses.hinge, {}, losses.Hinge),
    "hinge_01": (losses.hinge, {}, losses.Hinge),
    "kld": (losses.kl_divergence, {}, losses.KLDivergence),
    "bce_probs": (losses.binary_crossentropy, {}, losses.BinaryCrossentropy),
    "bce_probs_ls0.2": (
        losses.binary_crossentropy,
        {"label_smoothing": 0.2},
        losses.BinaryCrossentropy,
    ),
    "bce_logits": (losses.binary_crossentropy, {"from_logits": True}, losses.BinaryCrossentropy),
    "bce_logits_ls0.2": (
        losses.binary_crossentropy,
        {"from_logits": True, "label_smoothing": 0.2},
        losses.BinaryCrossentropy,
    ),
    "cce_logits": (
        losses.categorical_crossentropy,
        {"from_logits": True},
        losses.CategoricalCrossentropy,
    ),
    "cce_logits_ls0.1": (
        losses.categorical_crossentropy,
        {"from_logits": True, "label_smoothing": 0.1},
        losses.CategoricalCrossentropy,
    ),
    "cce_probs": (losses.categorical_crossentropy, {}, losses.CategoricalCrossentropy),
    "cce_probs_ls0.1": (
        losses.categorical_crossentropy,
        {"label_smoothing": 0.1},
        losses.CategoricalCrossentropy,
    ),
    "sparse_logits": (
        losses.sparse_categorical_crossentropy,
        {"from_logits": True},
        losses.SparseCategoricalCrossentropy,
    ),
    "sparse_probs": (
        losses.sparse_categorical_crossentropy,
        {},
        losses.SparseCategoricalCrossentropy,
    ),
    "sparse_logits_seq": (
        losses.sparse_categorical_crossentropy,
        {"from_logits": True},
        losses.SparseCategoricalCrossentropy,
    ),
}


def _case(name):
    return [FIXTURE[f"{name}/{key}"] for key in ("y_true", "y_pred", "w", "loss", "grad")]


def test_fixture_covers_every_case():
    stored = {key.split("/")[0] for key in FIXTURE.files}
    assert stored == set(CASES) | {"sparse_ignore"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_function_matches_torch(name):
    fn, kwargs, _ = CASES[name]
    y_true, y_pred, w, expected, expected_grad = _case(name)
    p = lamina.tensor(y_pred, requires_grad=True)
    out = fn(y_true, p, **kwargs)
    assert out.dtype == np.float32 and out.shape == expected.shape
    np.testing.assert_allclose(out.numpy(), expected, rtol=RTOL, atol=ATOL)
    out.backward(w.astype(np.float32))
    assert p.grad.dtype == np.float32
    np.testing.assert_allclose(p.grad, expected_grad, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("reduction", ["sum", "sum_over_batch_size"])
def test_class_with_sample_weight_matches_torch(name, reduction):
    _, kwargs, cls = CASES[name]
    y_true, y_pred, w, expected, expected_grad = _case(name)
    scale = 1.0 if reduction == "sum" else 1.0 / expected.size  # Keras: / number of losses
    p = lamina.tensor(y_pred, requires_grad=True)
    loss = cls(reduction=reduction, **kwargs)(y_true, p, sample_weight=w)
    assert loss.shape == () and loss.dtype == np.float32
    np.testing.assert_allclose(loss.item(), (w * expected).sum() * scale, rtol=RTOL)
    loss.backward()
    np.testing.assert_allclose(p.grad, expected_grad * scale, rtol=RTOL, atol=ATOL)


def test_ignore_class_matches_torch_ignore_index():
    y_true, y_pred = FIXTURE["sparse_ignore/y_true"], FIXTURE["sparse_ignore/y_pred"]
    z = lamina.tensor(y_pred, requires_grad=True)
    loss = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)(y_true, z)
    np.testing.assert_allclose(loss.item(), FIXTURE["sparse_ignore/loss"], rtol=RTOL)
    loss.backward()
    np.testing.assert_allclose(z.grad, FIXTURE["sparse_ignore/grad"], rtol=RTOL, atol=ATOL)
    per_sample = losses.sparse_categorical_crossentropy(y_true, z, True, ignore_class=-1)
    assert np.all(per_sample.numpy()[y_true == -1] == 0)


# ----- Keras's documented examples -----
Y_CAT_TRUE = [[0, 1, 0], [0, 0, 1]]
Y_CAT_PRED = [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]


@pytest.mark.parametrize(
    "make, y_true, kwargs, expected",
    [
        (losses.CategoricalCrossentropy, Y_CAT_TRUE, {}, 1.177),
        (losses.CategoricalCrossentropy, Y_CAT_TRUE, {"sample_weight": [0.3, 0.7]}, 0.814),
        (lambda: losses.CategoricalCrossentropy(reduction="sum"), Y_CAT_TRUE, {}, 2.354),
        (losses.SparseCategoricalCrossentropy, [1, 2], {}, 1.177),
        (losses.SparseCategoricalCrossentropy, [[1], [2]], {"sample_weight": [0.3, 0.7]}, 0.814),
    ],
)
def test_keras_documented_values(make, y_true, kwargs, expected):
    assert make()(y_true, lamina.tensor(Y_CAT_PRED), **kwargs).item() == pytest.approx(
        expected, abs=1e-3
    )


def test_keras_documented_binary_and_mse_values():
    bce = losses.BinaryCrossentropy(from_logits=True)
    assert bce([0, 1, 0, 0], lamina.tensor([-18.6, 0.51, 2.94, -12.8])).item() == pytest.approx(
        0.865, abs=1e-3
    )
    y_true, y_pred = [[0.0, 1.0], [0.0, 0.0]], lamina.tensor([[1.0, 1.0], [1.0, 0.0]])
    assert losses.MeanSquaredError()(y_true, y_pred).item() == pytest.approx(0.5)
    mse = losses.MeanSquaredError()
    assert mse(y_true, y_pred, sample_weight=[0.7, 0.3]).item() == pytest.approx(0.25)
    assert losses.MeanSquaredError(reduction="sum")(y_true, y_pred).item() == pytest.approx(1.0)
    none = losses.MeanSquaredError(reduction=None)(y_true, y_pred)
    np.testing.assert_allclose(none.numpy(), [0.5, 0.5])


# ----- reductions and sample weights -----
@pytest.fixture
def seq_case():
    """Per-sample losses with a time axis: (2, 3) values from sparse labels (2, 3)."""
    y_true, y_pred, _, expected, _ = _case("sparse_logits_seq")
    return y_true, y_pred, expected


def test_reductions(seq_case):
    y_true, y_pred, expected = seq_case
    w = np.array([2.0, 0.5], dtype=np.float32)

    def run(reduction, **kwargs):
        loss = losses.SparseCategoricalCrossentropy(from_logits=True, reduction=reduction)
        return loss(y_true, lamina.tensor(y_pred), **kwargs).numpy()

    np.testing.assert_allclose(run(None), expected, rtol=RTOL)
    np.testing.assert_allclose(run("none"), expected, rtol=RTOL)
    np.testing.assert_allclose(run("sum"), expected.sum(), rtol=RTOL)
    np.testing.assert_allclose(run("mean"), expected.mean(), rtol=RTOL)
    weighted = expected * w[:, None]  # one weight per sample, broadcast over time
    np.testing.assert_allclose(
        run("sum_over_batch_size", sample_weight=w), weighted.mean(), rtol=RTOL
    )
    np.testing.assert_allclose(
        run("mean_with_sample_weight", sample_weight=w), weighted.sum() / (w.sum() * 3), rtol=RTOL
    )
    np.testing.assert_allclose(run(None, sample_weight=w[:, None]), weighted, rtol=RTOL)
    np.testing.assert_allclose(run("sum", sample_weight=3.0), 3 * expected.sum(), rtol=RTOL)


def test_bad_reduction_and_sample_weight():
    with pytest.raises(ValueError, match="reduction must be one of"):
        losses.MeanSquaredError(reduction="avg")
    with pytest.raises(ValueError, match="one weight per sample"):
        losses.MeanSquaredError()(np.zeros((4, 2)), lamina.tensor(np.ones((4, 2))), np.ones(3))
    with pytest.raises(ValueError, match="label_smoothing"):
        losses.BinaryCrossentropy(label_smoothing=1.5)
    with pytest.raises(ValueError, match="delta"):
        losses.Huber(delta=0)


# ----- shape rules -----
def test_binary_labels_of_shape_n_with_predictions_n_by_1():
    z = np.array([[0.3], [-1.2], [2.0]], dtype=np.float32)
    y = np.array([1, 0, 1])
    a = losses.binary_crossentropy(y, lamina.tensor(z), from_logits=True)
    b = losses.binary_crossentropy(y[:, None], lamina.tensor(z), from_logits=True)
    c = losses.binary_crossentropy(y[:, None], lamina.tensor(z[:, 0]), from_logits=True)
    assert a.shape == b.shape == c.shape == (3,)
    np.testing.assert_allclose(a.numpy(), b.numpy())
    np.testing.assert_allclose(a.numpy(), c.numpy())
    r = losses.mean_squared_error(y, lamina.tensor(z))
    assert r.shape == (3,)


def test_sparse_labels_of_shape_n_by_1_and_float():
    p = lamina.tensor(Y_CAT_PRED)
    a = losses.sparse_categorical_crossentropy([1, 2], p).numpy()
    np.testing.assert_allclose(losses.sparse_categorical_crossentropy([[1], [2]], p).numpy(), a)
    np.testing.assert_allclose(losses.sparse_categorical_crossentropy([1.0, 2.0], p).numpy(), a)


def test_shape_errors_name_the_fix():
    p = lamina.tensor(Y_CAT_PRED)
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
        losses.categorical_crossentropy([1, 2], p)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\)"):
        losses.sparse_categorical_crossentropy([1, 3], p)
    with pytest.raises(ValueError, match="integer labels of shape"):
        losses.sparse_categorical_crossentropy([1, 2, 0], p)


# Keras 3.15's squeeze_or_expand_to_same_rank, then what its losses do with what remains (checked
# with the installed keras): mse and the other elementwise losses broadcast, and raise where the
# shapes cannot broadcast; the binary cross-entropies raise unless the shapes are equal.
@pytest.mark.parametrize(
    ("y_true", "y_pred", "out"),
    [((5,), (5, 1), (5,)), ((5, 1), (5,), (5,)), ((5, 4, 1), (5, 4), (5,)),
     ((5, 4), (5, 4, 1), (5,)), ((5, 1), (5, 10), (5,)), ((1,), (5, 3), (5,))],
)  # fmt: skip
def test_elementwise_losses_squeeze_expand_and_broadcast_as_keras(y_true, y_pred, out):
    rng = np.random.default_rng(0)
    t = rng.uniform(size=y_true).astype(np.float32)
    p = rng.uniform(size=y_pred).astype(np.float32)
    value = losses.MeanSquaredError(reduction=None)(t, lamina.tensor(p))
    assert value.shape == out  # as Keras 3.15 returns
    if t.ndim == p.ndim + 1:  # Keras's rule by hand: squeeze the longer side, or expand (N,)
        t, p = (t, p[:, None]) if p.ndim == 1 else (t[..., 0], p)
    elif p.ndim == t.ndim + 1:
        t, p = (t[:, None], p) if t.ndim == 1 else (t, p[..., 0])
    np.testing.assert_allclose(value.numpy(), ((t - p) ** 2).mean(axis=-1), rtol=1e-6)


ELEMENTWISE = ["mean_squared_error", "mean_absolute_error", "huber", "hinge", "poisson",
               "kl_divergence", "cosine_similarity", "dice"]  # fmt: skip


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_labels_that_cannot_broadcast_get_keras_error_in_words(name):
    p = lamina.tensor(np.full((5, 10), 0.5, np.float32))
    with pytest.raises(
        ValueError,
        match=rf"^{name} expects y_true and y_pred of shapes that broadcast together \(up to a "
        r"trailing axis of size 1\), got y_true of shape \(5,\) and y_pred of shape \(5, 10\); "
        r"for integer class labels use sparse_categorical_crossentropy, or one-hot encode them "
        r"with lamina.utils.to_categorical\(y, 10\)$",
    ):
        getattr(losses, name)(np.arange(5.0), p)
    with pytest.raises(ValueError, match=r"got y_true of shape \(5, 2\) and y_pred of shape "
                       r"\(5, 10\)$"):  # fmt: skip
        losses.get(name)(np.zeros((5, 2)), p)


@pytest.mark.parametrize("name", ["binary_crossentropy", "binary_focal_crossentropy"])
def test_binary_cross_entropies_need_equal_shapes_as_in_keras(name):
    fn = getattr(losses, name)
    p = lamina.tensor(np.full((5, 10), 0.5, np.float32))
    for y_true in (np.zeros((5, 1)), np.zeros((10,)), np.zeros((5, 10, 2))):
        with pytest.raises(
            ValueError, match=f"^{name} expects y_true and y_pred of the same shape"
        ):
            fn(y_true, p)
    assert fn(np.zeros((5, 10, 1)), p).shape == (5,)  # a trailing 1 is still squeezed


def test_categorical_losses_squeeze_a_trailing_axis_of_size_1():
    p = lamina.tensor(Y_CAT_PRED)  # (2, 3)
    one_hot = np.eye(3)[[1, 2]]
    for fn in (losses.categorical_crossentropy, losses.categorical_focal_crossentropy):
        np.testing.assert_allclose(fn(one_hot[..., None], p).numpy(), fn(one_hot, p).numpy())
        with pytest.raises(ValueError, match=r"expects y_true of y_pred's shape \(2, 3\)"):
            fn(np.array([[1.0], [2.0]]), p)  # Keras's focal loss broadcasts them: a bug, refused


# ----- inputs and the graph -----
def test_y_true_tensor_and_array_y_pred():
    out = losses.mean_squared_error(lamina.tensor([[1.0, 2.0]]), np.array([[1.0, 4.0]], np.float32))
    assert isinstance(out, lamina.Tensor) and out.tolist() == [2.0]
    t = lamina.tensor([[1.0, 2.0]], requires_grad=True)  # both sides trainable
    p = lamina.tensor([[1.0, 4.0]], requires_grad=True)
    losses.MeanSquaredError()(t, p).backward()
    assert t.grad.tolist() == [[0.0, -2.0]] and p.grad.tolist() == [[0.0, 2.0]]


def test_int_labels_cast_to_prediction_dtype():
    p = lamina.tensor(np.full((2, 2), 0.5), requires_grad=True)  # float64
    loss = losses.BinaryCrossentropy()(np.array([[0, 1], [1, 1]]), p)
    assert loss.dtype == np.float64
    np.testing.assert_allclose(loss.item(), np.log(2))


def test_sigmoid_output_through_class_and_shape_rule(rng):
    z = lamina.tensor(rng.normal(size=(5, 1)) * 30, requires_grad=True)
    y = rng.integers(0, 2, size=5)  # (N,) labels, (N, 1) predictions
    loss = losses.BinaryCrossentropy()(y, ops.sigmoid(z))
    loss.backward()
    sig = 1 / (1 + np.exp(-z.data[:, 0].astype(np.float64)))
    np.testing.assert_allclose(z.grad[:, 0], (sig - y) / 5, rtol=1e-5, atol=1e-7)
    assert loss.item() > 0 and np.isfinite(loss.item())


def test_softmax_output_through_sparse_class(rng):
    z = lamina.tensor(rng.normal(size=(4, 3)), requires_grad=True)
    y = rng.integers(0, 3, size=(4, 1))
    losses.SparseCategoricalCrossentropy()(y, ops.softmax(z)).backward()
    e = np.exp(z.data - z.data.max(-1, keepdims=True))
    expected = (e / e.sum(-1, keepdims=True) - np.eye(3)[y[:, 0]]) / 4
    np.testing.assert_allclose(z.grad, expected, rtol=1e-5, atol=1e-7)


# ----- custom losses -----
def test_loss_function_wrapper_applies_shape_rule():
    def abs_cubed(y_true, y_pred):
        assert y_true.shape == y_pred.shape
        return (abs(y_pred - y_true) ** 3).mean(axis=-1)

    loss = losses.LossFunctionWrapper(abs_cubed, reduction="sum")
    assert loss.name == "abs_cubed"
    assert loss(np.array([0.0, 1.0]), lamina.tensor([[2.0], [1.0]])).item() == 8.0


def test_subclassing_loss():
    class Quartic(losses.Loss):
        def call(self, y_true, y_pred):
            return ((y_pred - y_true) ** 4).mean(axis=-1)

    loss = Quartic(reduction="sum")
    assert loss.name == "quartic"
    assert loss(np.zeros((2, 1)), lamina.tensor([[1.0], [2.0]])).item() == 17.0


# ----- config and lookup -----
@pytest.mark.parametrize(
    "loss",
    [
        losses.MeanSquaredError(reduction="sum"),
        losses.MeanAbsoluteError(name="l1"),
        losses.Huber(delta=0.5),
        losses.Hinge(),
        losses.KLDivergence(reduction=None),
        losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1),
        losses.CategoricalCrossentropy(label_smoothing=0.2, axis=-1),
        losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0),
        losses.LossFunctionWrapper(losses.huber, reduction="sum", delta=2.0),
        losses.MeanAbsolutePercentageError(reduction="sum"),
        losses.MeanSquaredLogarithmicError(),
        losses.CosineSimilarity(axis=0),
        losses.LogCosh(name="lc"),
        losses.Poisson(),
        losses.SquaredHinge(),
        losses.CategoricalHinge(),
        losses.BinaryFocalCrossentropy(True, alpha=0.4, gamma=3.0, label_smoothing=0.1),
        losses.CategoricalFocalCrossentropy(alpha=[0.2, 0.3, 0.5], gamma=1.0, from_logits=True),
        losses.Dice(axis=[1]),
        losses.Tversky(alpha=0.3, beta=0.7),
    ],
)
def test_config_round_trip(loss):
    config = loss.get_config()
    clone = type(loss).from_config(config)
    assert clone.get_config() == config
    again = losses.get(losses.serialize(loss))
    assert type(again) is type(loss) and again.get_config() == config
    y_true = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]], dtype=np.float32)
    if isinstance(loss, losses.SparseCategoricalCrossentropy):
        y_true = np.array([1, 2])
    y_pred = lamina.tensor([[0.2, 0.5, 0.3], [0.6, 0.1, 0.3]])
    np.testing.assert_array_equal(clone(y_true, y_pred).numpy(), loss(y_true, y_pred).numpy())


@pytest.mark.parametrize(
    "name, expected",
    [
        ("mse", losses.MeanSquaredError),
        ("MSE", losses.MeanSquaredError),
        ("mean_squared_error", losses.MeanSquaredError),
        ("mae", losses.MeanAbsoluteError),
        ("huber", losses.Huber),
        ("hinge", losses.Hinge),
        ("kld", losses.KLDivergence),
        ("kl_divergence", losses.KLDivergence),
        ("bce", losses.BinaryCrossentropy),
        ("binary_crossentropy", losses.BinaryCrossentropy),
        ("categorical_crossentropy", losses.CategoricalCrossentropy),
        ("sparse_categorical_crossentropy", losses.SparseCategoricalCrossentropy),
        ("CategoricalCrossentropy", losses.CategoricalCrossentropy),
        ("mape", losses.MeanAbsolutePercentageError),
        ("MAPE", losses.MeanAbsolutePercentageError),
        ("mean_absolute_percentage_error", losses.MeanAbsolutePercentageError),
        ("msle", losses.MeanSquaredLogarithmicError),
        ("mean_squared_logarithmic_error", losses.MeanSquaredLogarithmicError),
        ("cosine_similarity", losses.CosineSimilarity),
        ("log_cosh", losses.LogCosh),
        ("logcosh", losses.LogCosh),
        ("LogCosh", losses.LogCosh),
        ("poisson", losses.Poisson),
        ("squared_hinge", losses.SquaredHinge),
        ("categorical_hinge", losses.CategoricalHinge),
        ("binary_focal_crossentropy", losses.BinaryFocalCrossentropy),
        ("BinaryFocalCrossentropy", losses.BinaryFocalCrossentropy),
        ("categorical_focal_crossentropy", losses.CategoricalFocalCrossentropy),
        ("dice", losses.Dice),
        ("Tversky", losses.Tversky),
    ],
)
def test_get_names_give_loss_instances(name, expected):
    loss = losses.get(name)
    assert type(loss) is expected and loss.reduction == "sum_over_batch_size"
    y_pred = lamina.tensor([[0.2, 0.8], [0.6, 0.4]])
    y_true = [1, 0] if "sparse" in name else [[0.0, 1.0], [1.0, 0.0]]
    value = loss(y_true, y_pred, sample_weight=[1.0, 0.5])
    assert value.shape == () and np.isfinite(value.item())


def test_get_classes_instances_and_callables():
    assert isinstance(losses.get(losses.Huber), losses.Huber)
    assert isinstance(losses.get(losses.binary_crossentropy), losses.BinaryCrossentropy)
    instance = losses.Hinge()
    assert losses.get(instance) is instance

    def custom(y_true, y_pred):
        return abs(y_pred - y_true).sum(axis=-1)

    wrapped = losses.get(custom)
    assert isinstance(wrapped, losses.LossFunctionWrapper) and wrapped.fn is custom
    assert wrapped.name == "custom"
    value = wrapped(np.zeros((2, 2)), lamina.tensor([[1.0, 2.0], [3.0, 4.0]]), sample_weight=[1, 0])
    assert value.item() == 1.5  # (3 * 1 + 7 * 0) / 2
    assert losses.get(None) is None
    huber = losses.get({"class_name": "Huber", "config": {"delta": 3.0}})
    assert huber.get_config()["delta"] == 3.0
    with pytest.raises(ValueError, match="unknown loss 'msee'"):
        losses.get("msee")
    with pytest.raises(ValueError, match="could not interpret"):
        losses.get(42)


# ----- the losses PyTorch lacks, against Keras 3 (tests/fixtures/make_keras_losses.py) -----
KERAS = np.load(os.path.join(os.path.dirname(__file__), "fixtures", "keras_losses.npz"))
KERAS_CASES = sorted({key.split("/")[0] for key in KERAS.files})


def _keras_case(name):
    spec = json.loads(str(KERAS[f"{name}/spec"]))
    arrays = [KERAS[f"{name}/{key}"] for key in ("y_true", "y_pred", "w", "loss", "grad")]
    return getattr(losses, spec["fn"]), getattr(losses, spec["cls"]), spec["kwargs"], arrays


def test_keras_fixture_covers_every_new_loss():
    names = {json.loads(str(KERAS[f"{case}/spec"]))["cls"] for case in KERAS_CASES}
    assert names == {
        "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "CosineSimilarity",
        "LogCosh", "Poisson", "SquaredHinge", "CategoricalHinge", "BinaryFocalCrossentropy",
        "CategoricalFocalCrossentropy", "Dice", "Tversky",
    }  # fmt: skip


@pytest.mark.parametrize("name", KERAS_CASES)
def test_function_matches_keras(name):
    fn, _, kwargs, (y_true, y_pred, w, expected, expected_grad) = _keras_case(name)
    p = lamina.tensor(y_pred, requires_grad=True)
    out = fn(y_true, p, **kwargs)
    assert out.dtype == np.float32 and out.shape == expected.shape
    np.testing.assert_allclose(out.numpy(), expected, rtol=2e-5, atol=1e-6)
    out.backward(w)
    np.testing.assert_allclose(p.grad, expected_grad, rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("name", KERAS_CASES)
def test_class_with_sample_weight_matches_keras(name):
    _, cls, kwargs, (y_true, y_pred, w, expected, _) = _keras_case(name)
    loss = cls(**kwargs)
    value = loss(y_true, lamina.tensor(y_pred), sample_weight=w)
    assert value.shape == () and value.dtype == np.float32
    np.testing.assert_allclose(value.item(), KERAS[f"{name}/weighted"], rtol=2e-5)
    total = cls(reduction="sum", **kwargs)(y_true, lamina.tensor(y_pred), sample_weight=w)
    np.testing.assert_allclose(total.item(), (w * expected).sum(), rtol=2e-5)
    clone = losses.get(json.loads(json.dumps(losses.serialize(loss))))  # as a model file stores it
    assert clone(y_true, lamina.tensor(y_pred), sample_weight=w).item() == value.item()


# the functions whose y_true is differentiable too (regression-style: both sides are data)
BOTH_SIDES = {"mape", "msle", "cosine", "cosine_axis0", "log_cosh", "poisson", "dice_per_sample",
              "dice_all", "tversky_per_sample", "tversky_all"}  # fmt: skip


@pytest.mark.parametrize("name", KERAS_CASES)
def test_gradients_match_float64_finite_differences(name):
    fn, _, kwargs, (y_true, y_pred, *_) = _keras_case(name)
    wrt = [0, 1] if name in BOTH_SIDES else [1]
    assert check_gradients(lambda t, p: fn(t, p, **kwargs), y_true, y_pred, wrt=wrt, atol=1e-5)


def test_log_cosh_is_stable_for_huge_errors():
    p = lamina.tensor([[1e4, -1e4, 0.5]], requires_grad=True)
    out = losses.log_cosh(np.zeros((1, 3), np.float32), p)
    expected = (2 * (1e4 - np.log(2)) + np.log(np.cosh(0.5))) / 3
    np.testing.assert_allclose(out.item(), expected, rtol=1e-6)
    out.backward()
    np.testing.assert_allclose(p.grad, [[1 / 3, -1 / 3, np.tanh(0.5) / 3]], rtol=1e-5)


def test_cosine_similarity_sign_and_zero_vectors():
    y_pred = lamina.tensor([[2.0, 0.0], [0.0, 3.0], [1.0, 1.0]], requires_grad=True)
    out = losses.cosine_similarity([[1.0, 0.0], [0.0, -1.0], [0.0, 0.0]], y_pred)
    np.testing.assert_allclose(out.numpy(), [-1.0, 1.0, 0.0], atol=1e-6)  # Keras: -cos
    out.sum().backward()
    assert np.all(np.isfinite(y_pred.grad)) and np.all(y_pred.grad[2] == 0)


def test_focal_losses_reduce_to_cross_entropy():
    rng = np.random.default_rng(3)
    bits = rng.integers(0, 2, size=(4, 3))
    z = lamina.tensor(rng.normal(size=(4, 3)).astype(np.float32))
    bce = losses.binary_crossentropy(bits, z, from_logits=True).numpy()
    focal = losses.binary_focal_crossentropy(bits, z, gamma=0.0, from_logits=True)
    np.testing.assert_allclose(focal.numpy(), bce, rtol=1e-6)
    onehot = np.eye(3)[[0, 2, 1, 1]]
    cce = losses.categorical_crossentropy(onehot, ops.softmax(z), from_logits=False)
    cfocal = losses.categorical_focal_crossentropy(
        onehot, z, alpha=1.0, gamma=0.0, from_logits=True
    )
    np.testing.assert_allclose(cfocal.numpy(), cce.numpy(), rtol=1e-5)


def test_binary_focal_reads_a_sigmoid_output_logits():
    z = lamina.tensor([[30.0, -2.0, 0.5]], requires_grad=True)  # 30: saturated and wrong
    loss = losses.BinaryFocalCrossentropy(gamma=2.0)([[0.0, 0.0, 1.0]], ops.sigmoid(z))
    from_logits = losses.BinaryFocalCrossentropy(gamma=2.0, from_logits=True)
    expected = from_logits([[0.0, 0.0, 1.0]], lamina.tensor(z.data))
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-6)
    assert loss.item() > 9.0  # (30 + log1p(e^-30)) / 3: not clipped at -log(1e-7) = 16.1
    loss.backward()
    assert z.grad[0, 0] > 0.3  # still pushes the saturated logit down


def test_tversky_with_equal_weights_is_dice_and_alpha_weighs_missed_positives():
    y_true = np.array([[1.0, 1.0, 0.0, 0.0]])
    y_pred = lamina.tensor([[1.0, 0.0, 1.0, 1.0]])  # one hit, one miss, two false alarms
    dice = losses.dice(y_true, y_pred, axis=1).item()
    assert losses.tversky(y_true, y_pred, axis=1).item() == pytest.approx(dice)
    assert losses.tversky(y_true, y_pred, 1.0, 0.0, axis=1).item() == pytest.approx(0.5)
    assert losses.tversky(y_true, y_pred, 0.0, 1.0, axis=1).item() == pytest.approx(2 / 3)


def test_new_loss_argument_errors():
    with pytest.raises(ValueError, match="gamma must be a number >= 0, got -1"):
        losses.BinaryFocalCrossentropy(gamma=-1)
    with pytest.raises(ValueError, match="label_smoothing"):
        losses.CategoricalFocalCrossentropy(label_smoothing=2.0)
    with pytest.raises(ValueError, match="one-hot labels"):
        losses.categorical_focal_crossentropy([0, 1], lamina.tensor([[0.5, 0.5], [0.2, 0.8]]))


@pytest.mark.parametrize(
    "loss",
    ["log_cosh", "mape", "msle", "poisson", "cosine_similarity", "squared_hinge",
     "categorical_hinge", losses.BinaryFocalCrossentropy(apply_class_balancing=True, gamma=1.0),
     losses.CategoricalFocalCrossentropy(alpha=[0.5, 0.3, 0.2]), losses.Dice(axis=1),
     losses.Tversky(alpha=0.7, beta=0.3)],
    ids=lambda v: v if isinstance(v, str) else type(v).__name__,
)  # fmt: skip
def test_compiled_model_trains_and_saves_with_the_loss(loss, tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 4)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 32)]
    model = lamina.Sequential([lamina.layers.Input((4,)), lamina.layers.Dense(3, "softmax")])
    model.compile(optimizer="adam", loss=loss)
    history = model.fit(x, y, epochs=3, batch_size=8, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    model.save(tmp_path / "m.lamina")
    loaded = lamina.models.load_model(tmp_path / "m.lamina")
    assert type(loaded._loss_fn) is type(model._loss_fn)
    assert loaded._loss_fn.get_config() == model._loss_fn.get_config()
    assert loaded.evaluate(x, y, verbose=0) == pytest.approx(model.evaluate(x, y, verbose=0))
