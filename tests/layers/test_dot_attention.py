"""Attention (Luong): Keras 3.15 reference outputs, scores and gradients, float64 gradient
checks, masks, causal masking, dropout, weights, config and save/load round trips, errors."""

import json
import os

import numpy as np
import pytest

import lamina
from lamina.layers import Embedding, Input, Layer, get_mask
from lamina.layers.dot_attention import Attention
from lamina.models import Model, load_model
from tests.helpers import check_layer_gradients

FIXTURE = np.load(os.path.join(os.path.dirname(__file__), "..", "fixtures", "keras_attention.npz"))
CASES = sorted({k.split("/")[0] for k in FIXTURE.files})


def fixture(name):
    return {k.split("/", 1)[1]: FIXTURE[k] for k in FIXTURE.files if k.startswith(name + "/")}


def run_keras_case(name, layer_class):
    """Run a fixture case through lamina; compare outputs, scores and every gradient."""
    f = fixture(name)
    spec = json.loads(str(f["spec"]))
    layer = layer_class(**spec["kwargs"])
    names = ["query", "value"] + (["key"] if "key" in f else [])
    tensors = [lamina.Tensor(f[n], requires_grad=True) for n in names]
    mask = None
    if "query_mask" in f or "value_mask" in f:
        mask = [f.get("query_mask"), f.get("value_mask")]
    layer(tensors, mask=mask)  # build
    layer.set_weights([f[f"weight_{i}"] for i in range(len(layer.weights))])
    out, scores = layer(tensors, mask=mask, return_attention_scores=True, **spec["options"])
    out.backward(f["w"])
    tol = {"rtol": 1e-5, "atol": 1e-6}
    np.testing.assert_allclose(out.numpy(), f["out"], **tol)
    np.testing.assert_allclose(scores.numpy(), f["scores"], **tol)
    for n, t in zip(names, tensors):
        np.testing.assert_allclose(t.grad, f[f"grad_{n}"], err_msg=n, **tol)
    for i, w in enumerate(layer.weights):
        np.testing.assert_allclose(w.grad, f[f"grad_weight_{i}"], err_msg=w.name, **tol)
    return f, out, scores


@pytest.mark.parametrize(
    "name", [c for c in CASES if json.loads(str(FIXTURE[c + "/spec"]))["cls"] == "Attention"]
)
def test_matches_keras(name):
    run_keras_case(name, Attention)


def test_fully_masked_values_give_uniform_weights_in_float32_as_keras():
    f, out, scores = run_keras_case("dot_all_masked", Attention)
    np.testing.assert_array_equal(scores.numpy()[0], 0.25)
    np.testing.assert_allclose(out.numpy()[0], np.tile(f["value"][0].mean(0), (3, 1)), rtol=1e-5)


# ----- float64 gradient checks -----
class Split(Layer):
    """x = concat(query, value, key) along time -> attention([query, value, key])."""

    def __init__(self, inner, tq, tv, with_key=True, mask=None, **options):
        super().__init__(dtype="float64")
        self.inner, self.tq, self.tv, self.with_key = inner, tq, tv, with_key
        self.mask, self.options = mask, options

    def call(self, x, training=False):
        q, v, k = x[:, : self.tq], x[:, self.tq : self.tq + self.tv], x[:, self.tq + self.tv :]
        inputs = [q, v, k] if self.with_key else [q, v]
        return self.inner(inputs, mask=self.mask, training=training, **self.options)


# no query sees only masked values: there the -1e9 shift leaves scores too close together for
# finite differences (the float32 case above checks that row)
MASKS = [np.array([[True, False, True], [True, True, True]]),
         np.array([[True, True, False, True], [True, False, True, False]])]  # fmt: skip


@pytest.mark.parametrize(
    "kwargs, options, mask",
    [
        ({}, {}, None),
        ({"use_scale": True}, {"use_causal_mask": True}, MASKS),
        ({"score_mode": "concat"}, {}, MASKS),
        ({"score_mode": "concat", "use_scale": True}, {"use_causal_mask": True}, None),
    ],
)
def test_gradients_float64(rng, kwargs, options, mask):
    layer = Attention(dtype="float64", **kwargs)
    layer([np.zeros((2, 3, 4)), np.zeros((2, 4, 4))])
    layer.set_weights([rng.uniform(0.5, 1.5, size=w.shape) for w in layer.get_weights()])
    split = Split(layer, 3, 4, mask=mask, **options)
    assert check_layer_gradients(split, rng.normal(size=(2, 11, 4)))


# ----- semantics -----
def test_masks_of_embedding_inputs_are_read_and_the_query_mask_carried():
    emb = Embedding(10, 4, mask_zero=True)
    q, v = emb(np.array([[1, 2, 0], [3, 0, 0]])), emb(np.array([[4, 5, 0, 0], [6, 7, 8, 9]]))
    out, scores = Attention()([q, v], return_attention_scores=True)
    np.testing.assert_array_equal(get_mask(out), get_mask(q))
    assert get_mask(scores) is None
    s = scores.numpy()
    np.testing.assert_array_equal(s[0, :, 2:], 0.0)  # padded values get no weight
    np.testing.assert_allclose(s.sum(-1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(out.numpy()[0, 2], 0.0)  # padded queries give zeros
    np.testing.assert_array_equal(out.numpy()[1, 1:], 0.0)
    explicit = Attention()([q.numpy(), v.numpy()], mask=[get_mask(q), get_mask(v)])
    np.testing.assert_allclose(explicit.numpy(), out.numpy())


def test_causal_output_at_t_ignores_later_steps(rng):
    x = rng.normal(size=(2, 5, 4)).astype(np.float32)
    layer = Attention()
    out = layer([x, x], use_causal_mask=True).numpy()
    x2 = x.copy()
    x2[:, 3:] = rng.normal(size=x2[:, 3:].shape)
    out2 = layer([x2, x2], use_causal_mask=True).numpy()
    np.testing.assert_allclose(out2[:, :3], out[:, :3], rtol=1e-6)
    assert not np.allclose(out2[:, 3:], out[:, 3:])
    _, scores = layer([x, x], use_causal_mask=True, return_attention_scores=True)
    np.testing.assert_array_equal(np.triu(scores.numpy()[0], 1), 0.0)


def test_key_defaults_to_value_and_output_takes_the_value_dimension(rng):
    q, v = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 6, 7))
    k = rng.normal(size=(2, 6, 4))
    layer = Attention()
    out = layer([q, v, k])
    assert out.shape == (2, 3, 7) and layer.compute_output_shape([(None, 3, 4), (None, 6, 7)]) == (
        None,
        3,
        7,
    )
    x = rng.normal(size=(2, 6, 4))
    np.testing.assert_allclose(layer([q, x]).numpy(), layer([q, x, x]).numpy())


def test_dropout_only_in_training_and_seeded(rng):
    q, v = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 4))
    layer = Attention(dropout=0.5, seed=3)
    plain = Attention()([q, v]).numpy()
    np.testing.assert_allclose(layer([q, v]).numpy(), plain, rtol=1e-6)
    _, dropped = layer([q, v], training=True, return_attention_scores=True)
    w = dropped.numpy()
    assert (w == 0).any() and not np.allclose(w.sum(-1), 1.0)
    again = Attention(dropout=0.5, seed=3)([q, v], training=True, return_attention_scores=True)
    np.testing.assert_array_equal(again[1].numpy(), w)


def test_weights_have_keras_names_and_shapes():
    layer = Attention(use_scale=True, score_mode="concat")
    layer([np.ones((1, 2, 3)), np.ones((1, 4, 3))])
    assert [w.name.split("/")[-1] for w in layer.weights] == ["scale", "concat_score_weight"]
    assert [w.shape for w in layer.weights] == [(), ()]
    np.testing.assert_array_equal(layer.get_weights(), [1.0, 1.0])
    assert Attention().weights == [] and len(Attention(score_mode="concat").get_config()) > 0


def test_functional_model_config_and_save_load_round_trip(tmp_path, rng):
    q_in, v_in = Input(shape=(3, 4)), Input(shape=(5, 4))
    out, scores = Attention(use_scale=True, name="att")([q_in, v_in], return_attention_scores=True)
    model = Model([q_in, v_in], [out, scores])
    layer = model.get_layer("att")
    layer.set_weights([np.array(0.7, "float32")])
    q, v = rng.normal(size=(2, 3, 4)).astype("float32"), rng.normal(size=(2, 5, 4)).astype("f4")
    before = model.predict([q, v], verbose=0)
    assert before[0].shape == (2, 3, 4) and before[1].shape == (2, 3, 5)
    path = str(tmp_path / "att.lamina")
    model.save(path)
    loaded = load_model(path)
    after = loaded.predict([q, v], verbose=0)
    for a, b in zip(before, after):
        np.testing.assert_array_equal(a, b)
    config = json.loads(
        json.dumps(Attention(score_mode="concat", dropout=0.1, seed=2).get_config())
    )
    clone = Attention.from_config(config)
    assert (clone.score_mode, clone.dropout, clone.seed, clone.use_scale) == (
        "concat",
        0.1,
        2,
        False,
    )


def test_trains(rng):
    q, v = rng.normal(size=(4, 3, 4)).astype("float32"), rng.normal(size=(4, 5, 4)).astype("f4")
    layer = Attention(use_scale=True, score_mode="concat")
    target = rng.normal(size=(4, 3, 4)).astype("float32")

    def loss():
        return lamina.ops.mean((layer([q, v]) - target) ** 2)

    first = loss()
    first.backward()
    with lamina.no_grad():
        for w in layer.trainable_weights:
            w.data -= 0.1 * w.grad
    assert loss().item() < first.item()


# ----- errors -----
def test_errors(rng):
    q = rng.normal(size=(2, 3, 4))
    with pytest.raises(ValueError, match="score_mode must be one of"):
        Attention(score_mode="general")
    with pytest.raises(ValueError, match="dropout must be in"):
        Attention(dropout=1.0)
    with pytest.raises(ValueError, match=r"called on a list \[query, value\]"):
        Attention()(q)
    with pytest.raises(ValueError, match="of length 1"):
        Attention()([q])
    with pytest.raises(ValueError, match="same last dimension"):
        Attention()([q, rng.normal(size=(2, 5, 6)), rng.normal(size=(2, 5, 5))])
    with pytest.raises(ValueError, match="same number of steps"):
        Attention()([q, rng.normal(size=(2, 5, 4)), rng.normal(size=(2, 6, 4))])
    with pytest.raises(ValueError, match="3-D"):
        Attention()([q[0], q[0]])
    with pytest.raises(ValueError, match=r"value_mask must have shape \(batch, time\)"):
        Attention()([q, q], mask=[None, np.ones((2, 4), bool)])
    with pytest.raises(ValueError, match="mask must be a list"):
        Attention()([q, q], mask=np.ones((2, 3), bool))
