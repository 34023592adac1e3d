"""AdditiveAttention (Bahdanau): Keras 3.15 reference outputs, scores and gradients, float64
gradient checks, its scale weight, config and errors."""

import json

import numpy as np
import pytest

from lamina.layers import AdditiveAttention, Attention
from tests.helpers import check_layer_gradients
from tests.layers.test_dot_attention import CASES, FIXTURE, MASKS, Split, run_keras_case

ADDITIVE = [c for c in CASES if json.loads(str(FIXTURE[c + "/spec"]))["cls"] == "AdditiveAttention"]


@pytest.mark.parametrize("name", ADDITIVE)
def test_matches_keras(name):
    run_keras_case(name, AdditiveAttention)


def test_fixture_has_additive_cases():
    assert len(ADDITIVE) == 2


@pytest.mark.parametrize("use_scale, options", [(True, {}), (False, {"use_causal_mask": True})])
def test_gradients_float64(rng, use_scale, options):
    layer = AdditiveAttention(use_scale=use_scale, dtype="float64")
    split = Split(layer, 3, 4, mask=MASKS, **options)
    assert check_layer_gradients(split, rng.normal(size=(2, 11, 4)))


def test_scale_is_a_glorot_vector_and_the_score_is_additive(rng):
    q, v = rng.normal(size=(1, 2, 3)), rng.normal(size=(1, 4, 3))
    layer = AdditiveAttention(dtype="float64")
    _, weights = layer([q, v], return_attention_scores=True)
    assert [w.name.split("/")[-1] for w in layer.weights] == ["scale"]
    scale = layer.scale.numpy()
    assert scale.shape == (3,) and np.all(np.abs(scale) <= np.sqrt(6 / 6)) and scale.any()
    scores = (scale * np.tanh(q[0, :, None] + v[0, None])).sum(-1)
    expected = np.exp(scores) / np.exp(scores).sum(-1, keepdims=True)
    np.testing.assert_allclose(weights.numpy()[0], expected, rtol=1e-12)
    assert AdditiveAttention(use_scale=False).weights == []


def test_config_round_trip_without_score_mode(rng):
    layer = AdditiveAttention(use_scale=False, dropout=0.2, seed=5, name="add_att")
    config = json.loads(json.dumps(layer.get_config()))
    assert "score_mode" not in config
    assert (config["use_scale"], config["dropout"], config["seed"]) == (False, 0.2, 5)
    clone = AdditiveAttention.from_config(config)
    assert isinstance(clone, Attention) and clone.use_scale is False and clone.name == "add_att"
    q, v = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 4))
    np.testing.assert_allclose(clone([q, v]).numpy(), layer([q, v]).numpy())


def test_errors(rng):
    with pytest.raises(ValueError, match="same last dimension"):
        AdditiveAttention()([rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 3))])
    with pytest.raises(ValueError, match="dropout"):
        AdditiveAttention(dropout=-0.1)
