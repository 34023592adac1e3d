"""StringLookup and IntegerLookup (one base, index_lookup.py): vocabulary order against an
independent NumPy computation, Keras's examples, OOV and mask handling, vector modes, inversion,
config (JSON) and model round trips."""

import json
from collections import Counter

import numpy as np
import pytest

from lamina.layers import Dense, Embedding, Input, IntegerLookup, StringLookup
from lamina.models import Sequential, load_model

DATA = [["a", "c", "d"], ["d", "z", "b"]]
VOCAB = ["a", "b", "c", "d"]


def keras_order(tokens):
    """Keras's sort: np.lexsort((tokens, counts))[::-1] on the unique tokens."""
    unique, counts = np.unique(np.asarray(tokens), return_counts=True)
    return unique[np.lexsort((unique, counts))[::-1]].tolist()


def test_adapt_orders_by_count_then_descending_token():
    rng = np.random.default_rng(0)
    words = np.array([f"w{i:02d}" for i in range(40)])
    data = words[rng.zipf(1.3, size=(300, 6)) % 40]  # many ties among the rare words
    layer = StringLookup()
    layer.adapt(data)
    assert layer.get_vocabulary() == ["[UNK]", *keras_order(data.ravel())]
    ints = rng.zipf(1.3, size=(200, 5)) % 50
    lookup = IntegerLookup(max_tokens=12)
    lookup.adapt(ints)
    assert lookup.get_vocabulary() == [-1, *keras_order(ints.ravel())[:11]]
    assert lookup.vocabulary_size() == 12
    counts = Counter(ints.ravel().tolist())
    kept = lookup.get_vocabulary(include_special_tokens=False)
    assert min(counts[t] for t in kept) >= max(counts[t] for t in counts if t not in kept)


def test_keras_string_examples():
    layer = StringLookup()
    layer.adapt(DATA)
    assert layer.get_vocabulary() == ["[UNK]", "d", "z", "c", "b", "a"]
    assert layer(DATA).tolist() == [[5, 3, 1], [1, 2, 4]]
    assert layer(DATA).dtype == np.int64
    fixed = StringLookup(vocabulary=VOCAB)
    assert fixed(DATA).tolist() == [[1, 3, 4], [4, 0, 2]]
    one_hot = StringLookup(vocabulary=VOCAB, output_mode="one_hot")
    assert one_hot(["a", "b", "c", "d", "z"]).tolist() == np.eye(5)[[1, 2, 3, 4, 0]].tolist()
    rows = [["a", "c", "d", "d"], ["d", "z", "b", "z"]]
    multi = StringLookup(vocabulary=VOCAB, output_mode="multi_hot")
    assert multi(rows).tolist() == [[0, 1, 0, 1, 1], [1, 0, 1, 0, 1]]
    count = StringLookup(vocabulary=VOCAB, output_mode="count")
    assert count(rows).tolist() == [[0, 1, 0, 1, 2], [2, 0, 1, 0, 1]]
    tf_idf = StringLookup(output_mode="tf_idf")
    tf_idf.set_vocabulary(VOCAB, idf_weights=[0.25, 0.75, 0.6, 0.4])
    np.testing.assert_allclose(
        tf_idf(rows).numpy(), [[0, 0.25, 0, 0.6, 0.8], [1.0, 0, 0.75, 0, 0.4]]
    )
    tf_idf.set_vocabulary(["[UNK]", *VOCAB], idf_weights=[0.9, 0.25, 0.75, 0.6, 0.4])
    np.testing.assert_allclose(tf_idf(rows).numpy()[1], [1.8, 0, 0.75, 0, 0.4])
    inverse = StringLookup(vocabulary=VOCAB, invert=True)
    assert inverse(fixed(DATA)).tolist() == [["a", "c", "d"], ["d", "[UNK]", "b"]]


def test_keras_integer_examples():
    data = np.array([[12, 1138, 42], [42, 1000, 36]])
    vocab = [12, 36, 1138, 42]
    assert IntegerLookup(vocabulary=vocab)(data).tolist() == [[1, 3, 4], [4, 0, 2]]
    layer = IntegerLookup()
    layer.adapt(data)
    assert layer.get_vocabulary() == [-1, 42, 1138, 1000, 36, 12]
    assert layer(data).tolist() == [[5, 2, 1], [1, 3, 4]]
    two_oov = IntegerLookup(vocabulary=vocab, num_oov_indices=2)
    assert two_oov(np.array([[12, 1138, 42], [37, 1000, 36]])).tolist() == [[2, 4, 5], [1, 0, 3]]
    rows = np.array([[12, 1138, 42, 42], [42, 7, 36, 7]])
    count = IntegerLookup(vocabulary=vocab, output_mode="count")
    assert count(rows).tolist() == [[0, 1, 0, 1, 2], [2, 0, 1, 0, 1]]
    inverse = IntegerLookup(vocabulary=vocab, invert=True)
    assert inverse(np.array([[1, 3, 4], [4, 0, 2]])).tolist() == [[12, 1138, 42], [42, -1, 36]]


def test_adapted_tf_idf_weights_follow_keras_formula():
    docs = [["a", "b", "b"], ["b", "c", "c"], ["a", "b", "d"]]
    layer = StringLookup(output_mode="tf_idf")
    layer.adapt(docs)
    vocab = layer.get_vocabulary()
    assert vocab == ["[UNK]", "b", "c", "a", "d"]
    df = np.array([3, 1, 2, 1], float)  # documents holding b, c, a, d
    idf = np.log(1 + 3 / (1 + df))
    expected = np.zeros((1, 5))
    expected[0, 1:] = np.array([1, 0, 0, 2]) * idf  # "b d d zebra": b once, d twice
    expected[0, 0] = idf.mean()  # the OOV column: zebra, weighted by the mean idf
    np.testing.assert_allclose(layer([["b", "d", "d", "zebra"]]).numpy(), expected, rtol=1e-6)


def test_mask_token_and_oov_indices():
    masked = StringLookup(vocabulary=VOCAB, mask_token="")
    assert masked.get_vocabulary()[:2] == ["", "[UNK]"]
    assert masked([["a", "", "z"]]).tolist() == [[2, 0, 1]]
    dropped = StringLookup(vocabulary=VOCAB, mask_token="", output_mode="count")
    assert dropped.get_vocabulary()[0] == "[UNK]"  # no mask index outside "int" mode
    assert dropped([["a", "", ""]]).tolist() == [[0, 1, 0, 0, 0]]
    buckets = StringLookup(vocabulary=VOCAB, num_oov_indices=3)
    unknown = buckets([["m", "z", "q", "m"], ["a", "b", "c", "d"]]).numpy()
    assert set(unknown[0]) <= {0, 1, 2} and unknown[0, 0] == unknown[0, 3]
    assert unknown[1].tolist() == [3, 4, 5, 6]
    strict = IntegerLookup(vocabulary=[5, 6], num_oov_indices=0)
    assert strict([[5, 6]]).tolist() == [[0, 1]]
    with pytest.raises(ValueError, match=r"outside its vocabulary \(\['7'\]\).*num_oov_indices=1"):
        strict([[5, 7]])
    assert IntegerLookup(vocabulary=[3, 4], mask_token=0)([[0, 3, 9]]).tolist() == [[0, 2, 1]]


def test_max_tokens_and_pad_to_max_tokens():
    layer = StringLookup(max_tokens=3, output_mode="multi_hot", pad_to_max_tokens=True)
    layer.adapt([["x", "x", "y", "z", "y", "x"]])
    assert layer.get_vocabulary() == ["[UNK]", "x", "y"]
    assert layer([["y", "z"]]).tolist() == [[1, 0, 1]]
    wide = StringLookup(max_tokens=6, output_mode="count", pad_to_max_tokens=True, vocabulary=["p"])
    assert wide([["p", "p"]]).tolist() == [[0, 2, 0, 0, 0, 0]]
    assert wide.compute_output_shape((None, 2)) == (None, 6)
    with pytest.raises(ValueError, match="vocabulary has 4 entries .* max_tokens=3"):
        StringLookup(max_tokens=3, vocabulary=["a", "b", "c"])


def test_config_round_trip_through_json_keeps_the_vocabulary(tmp_path):
    layer = StringLookup(output_mode="tf_idf", mask_token="[MASK]", num_oov_indices=2)
    layer.adapt([["b", "a"], ["a", "c"]])
    config = json.loads(json.dumps(layer.get_config()))
    clone = StringLookup.from_config(config)
    assert clone.get_vocabulary() == layer.get_vocabulary()
    sample = [["a", "zz", "[MASK]"], ["c", "b", "b"]]
    np.testing.assert_array_equal(clone(sample).numpy(), layer(sample).numpy())
    path = tmp_path / "vocab.txt"
    path.write_text("x\ny\nz\n")
    assert StringLookup(vocabulary=str(path))([["z", "w"]]).tolist() == [[3, 0]]
    ints = tmp_path / "ints.txt"
    ints.write_text("10\n20\n")
    assert IntegerLookup(vocabulary=ints)([[20]]).tolist() == [[2]]


def test_integer_lookup_in_a_model_saves_and_loads(tmp_path):
    lookup = IntegerLookup()
    rng = np.random.default_rng(0)
    ids = rng.choice([3, 17, 256, 1024, 99999], size=(32, 4)).astype("float32")
    lookup.adapt(ids[:, :3])
    model = Sequential(
        [Input(shape=(4,)), lookup, Embedding(lookup.vocabulary_size(), 2), Dense(1)]
    )
    model.save(tmp_path / "l.lamina")
    loaded = load_model(tmp_path / "l.lamina")
    np.testing.assert_array_equal(loaded.predict(ids, verbose=0), model.predict(ids, verbose=0))
    assert loaded.layers[0].get_vocabulary() == lookup.get_vocabulary()


def test_bytes_and_arrays_of_strings():
    layer = StringLookup(vocabulary=VOCAB)
    assert layer(np.array([b"a", b"d"])).tolist() == [1, 4]
    assert layer(np.array([["b"], ["c"]])).tolist() == [[2], [3]]
    assert layer("c").tolist() == 3
    with pytest.raises(TypeError, match="expects strings"):
        layer([1, 2])


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="repeats"):
        StringLookup(vocabulary=["a", "b", "a"])
    with pytest.raises(ValueError, match="reserved token ''"):
        StringLookup(vocabulary=["a", ""], mask_token="")
    with pytest.raises(ValueError, match="invert=True needs output_mode='int'"):
        StringLookup(invert=True, output_mode="count")
    with pytest.raises(ValueError, match="needs idf_weights"):
        StringLookup(vocabulary=VOCAB, output_mode="tf_idf")
    with pytest.raises(ValueError, match="no vocabulary"):
        StringLookup(output_mode="multi_hot")([["a"]])
    with pytest.raises(ValueError, match="num_oov_indices must be a non-negative"):
        IntegerLookup(num_oov_indices=-1)
    with pytest.raises(ValueError, match="sparse"):
        IntegerLookup(sparse=True)
    with pytest.raises(ValueError, match="no data"):
        IntegerLookup().adapt(iter([]))


def test_string_lookup_in_a_model_with_mixed_inputs_trains_and_round_trips(tmp_path):
    # keras.io structured data: a string column through StringLookup beside a numeric one
    from lamina.layers import Concatenate
    from lamina.models import Model

    rng = np.random.default_rng(0)
    thal = rng.choice(["normal", "fixed", "reversible"], size=(24, 1))
    age = rng.normal(size=(24, 1)).astype("float32")
    y = (thal[:, 0] == "normal").astype("float32")
    lookup = StringLookup(output_mode="one_hot")
    lookup.adapt(thal)
    inputs = {"thal": Input(shape=(1,), dtype="string", name="thal"),
              "age": Input(shape=(1,), name="age")}  # fmt: skip
    encoded = lookup(inputs["thal"])
    assert encoded.shape == (None, 4)
    outputs = Dense(1, activation="sigmoid")(Concatenate()([encoded, inputs["age"]]))
    model = Model(inputs, outputs)
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.fit({"thal": thal, "age": age}, y, epochs=2, batch_size=8, verbose=0)
    model.save(tmp_path / "mixed.lamina")
    loaded = load_model(tmp_path / "mixed.lamina")
    data = {"thal": thal, "age": age}
    np.testing.assert_array_equal(loaded.predict(data, verbose=0), model.predict(data, verbose=0))
    assert loaded.get_layer(lookup.name).get_vocabulary() == lookup.get_vocabulary()
    with pytest.raises(TypeError, match=r"x\[0\] must be numeric"):  # "age" takes numbers only
        model.predict({"thal": thal, "age": thal}, verbose=0)
