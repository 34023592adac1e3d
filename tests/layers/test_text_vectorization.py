import json
import math

import numpy as np
import pytest

from lamina import Tensor
from lamina.data import BatchDataset
from lamina.layers.text_vectorization import TextVectorization

CORPUS = ["The cat sat.", "The dog sat on the mat!"]


def adapted(corpus=CORPUS, **kwargs):
    layer = TextVectorization(**kwargs)
    layer.adapt(corpus)
    return layer


def values(tensor):
    assert isinstance(tensor, Tensor)
    return tensor.numpy().tolist()


def test_keras_documentation_examples():
    # keras.layers.TextVectorization's docstring: adapt on "foo", "bar", "baz", then predict
    layer = adapted(["foo", "bar", "baz"], max_tokens=5000, output_sequence_length=4)
    assert values(layer(["foo qux bar", "qux baz"])) == [[2, 1, 4, 0], [1, 3, 0, 0]]
    given = TextVectorization(output_sequence_length=4, vocabulary=["earth", "wind", "and", "fire"])
    assert given.get_vocabulary() == ["", "[UNK]", "earth", "wind", "and", "fire"]


def test_vocabulary_is_sorted_by_count_then_descending_token():
    layer = adapted(["b a c b", "c a d"])
    assert layer.get_vocabulary() == ["", "[UNK]", "c", "b", "a", "d"]
    assert layer.get_vocabulary(include_special_tokens=False) == ["c", "b", "a", "d"]
    assert layer.vocabulary_size() == 6
    assert adapted(["b a c b", "c a d"], max_tokens=4).get_vocabulary() == ["", "[UNK]", "c", "b"]
    vectors = adapted(["b a c b", "c a d"], output_mode="count", max_tokens=3)
    assert vectors.get_vocabulary() == ["[UNK]", "c", "b"]  # only [UNK] is reserved


def test_int_mode_pads_to_the_longest_and_maps_unknown_words_to_1():
    layer = adapted()
    out = layer(["the cat ate", "a dog sat on the mat", ""])
    assert out.dtype == np.int64
    # vocabulary: "", [UNK], the, sat, on, mat, dog, cat
    assert values(out) == [[2, 7, 1, 0, 0, 0], [1, 6, 3, 4, 2, 5], [0, 0, 0, 0, 0, 0]]


def test_output_sequence_length_pads_and_truncates_at_the_end():
    layer = adapted(output_sequence_length=3)
    assert values(layer(["the", "the dog sat on the mat"])) == [[2, 0, 0], [2, 6, 3]]
    assert layer.compute_output_shape((None,)) == (None, 3)
    assert adapted().compute_output_shape((8, 1)) == (8, None)


def test_standardization_lowercases_and_strips_punctuation_and_apostrophes():
    layer = TextVectorization(vocabulary=["dont", "stop", "e-mail", "Stop"], standardize=None)
    assert values(layer(["Stop e-mail"])) == [[5, 4]]
    strip = TextVectorization(vocabulary=["dont", "Stop", "email"], standardize="strip_punctuation")
    assert values(strip(["Don't Stop! e-mail"])) == [[1, 3, 4]]
    lower = TextVectorization(vocabulary=["dont", "stop", "don't"], standardize="lower")
    assert values(lower(["DON'T STOP!"])) == [[4, 1]]
    both = TextVectorization(vocabulary=["dont", "stop", "email"])
    assert values(both([" Don't  STOP!!  e-mail.\t"])) == [[2, 3, 4]]
    punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
    assert values(both([f"d{punctuation}ont"])) == [[2]]


def test_standardize_and_split_callables_and_character_split():
    layer = TextVectorization(
        standardize=lambda s: s.upper(), split=lambda s: s.split(","), output_sequence_length=3
    )
    layer.adapt(["a,b", "b,c c"])
    assert layer.get_vocabulary() == ["", "[UNK]", "B", "C C", "A"]
    assert values(layer(["c c,a,x,b"])) == [[3, 4, 1]]
    chars = adapted(["abba"], split="character", standardize=None)
    assert chars.get_vocabulary() == ["", "[UNK]", "b", "a"]
    assert values(chars(["ab c"])) == [[3, 2, 1, 1]]  # the space is a character too
    whole = adapted(["Hello, World", "hello world", "!"], split=None)
    assert whole.get_vocabulary() == ["", "[UNK]", "hello world"]  # "!" became "", not a token
    assert values(whole(["HELLO WORLD", "?", "[UNK]", "hi"])) == [[2], [0], [1], [1]]


def test_ngrams():
    layer = adapted(["a b c"], ngrams=2)
    assert sorted(layer.get_vocabulary()[2:]) == ["a", "a b", "b", "b c", "c"]
    index = {t: i for i, t in enumerate(layer.get_vocabulary())}
    expected = [index[t] for t in ["a", "b", "c", "a b", "b c"]]  # unigrams, then bigrams
    assert values(layer(["a b c"])) == [expected]
    only = TextVectorization(ngrams=(2, 3), vocabulary=["a b", "b c", "a b c"])
    assert values(only(["a b c d"])) == [[2, 3, 1, 4, 1]]  # a b, b c, c d, a b c, b c d
    assert values(only(["a"])) == [[]]  # no n-gram fits


def test_multi_hot_and_count():
    # vocabulary without padding: [UNK], c, b, a, d
    multi = adapted(["b a c b", "c a d"], output_mode="multi_hot")
    count = adapted(["b a c b", "c a d"], output_mode="count")
    assert multi.get_vocabulary() == ["[UNK]", "c", "b", "a", "d"]
    texts = ["a a z", "b d b", "q r"]
    assert values(multi(texts)) == [[1, 0, 0, 1, 0], [0, 0, 1, 0, 1], [1, 0, 0, 0, 0]]
    assert values(count(texts)) == [[1, 0, 0, 2, 0], [0, 0, 2, 0, 1], [2, 0, 0, 0, 0]]
    assert count(texts).dtype == np.float32
    assert count.compute_output_shape((None,)) == (None, 5)


def test_tf_idf_uses_keras_formula():
    docs = ["a b", "a c", "a"]
    layer = adapted(docs, output_mode="tf_idf")
    assert layer.get_vocabulary() == ["[UNK]", "a", "c", "b"]
    idf_a, idf_bc = math.log(1 + 3 / (1 + 3)), math.log(1 + 3 / (1 + 1))
    idf_unk = (idf_a + 2 * idf_bc) / 3  # [UNK] gets the mean
    out = layer(["a a b z"])
    assert out.dtype == np.float32
    np.testing.assert_allclose(values(out), [[idf_unk, 2 * idf_a, 0, idf_bc]], rtol=1e-6)


def test_tf_idf_with_a_given_vocabulary():
    layer = TextVectorization(output_mode="tf_idf", vocabulary=["x", "y"], idf_weights=[1.0, 3.0])
    np.testing.assert_allclose(values(layer(["x y y w"])), [[2.0, 1.0, 6.0]])  # [UNK] = mean
    full = TextVectorization(
        output_mode="tf_idf", vocabulary=["[UNK]", "x", "y"], idf_weights=[0.5, 1.0, 3.0]
    )
    np.testing.assert_allclose(values(full(["x w"])), [[0.5, 1.0, 0.0]])


def test_pad_to_max_tokens_widens_vectors():
    layer = adapted(["a b"], output_mode="multi_hot", max_tokens=6, pad_to_max_tokens=True)
    assert values(layer(["b"])) == [[0, 1, 0, 0, 0, 0]]  # [UNK], b, a, then padding
    tfidf = adapted(["a b"], output_mode="tf_idf", max_tokens=5, pad_to_max_tokens=True)
    assert len(values(tfidf(["a"]))[0]) == 5
    assert layer.compute_output_shape((2,)) == (2, 6)


def test_input_forms():
    layer = adapted()
    expected = [[2, 7, 0], [6, 3, 1]]
    assert values(layer(["the cat", "dog sat dog?x"])) == [[2, 7, 0], [6, 3, 1]]
    assert values(layer(np.array(["the cat", "dog sat dogx"]))) == expected
    assert values(layer(np.array([["the cat"], ["dog sat dogx"]], dtype=object))) == expected
    assert values(layer([b"the cat", "dog sat dogx"])) == expected
    assert values(layer(np.array([b"the cat", b"dog sat dogx"]))) == expected
    assert values(layer(("the cat", "dog sat dogx"))) == expected
    assert values(layer([["the cat"], ["dog sat dogx"]])) == expected
    assert values(layer("the cat")) == [2, 7]  # one string: no batch axis
    vectors = adapted(output_mode="multi_hot")
    assert vectors("the mat").shape == (7,)


def test_adapt_accepts_arrays_and_iterables_of_batches():
    want = adapted().get_vocabulary()
    layer = TextVectorization()
    layer.adapt(np.array(CORPUS, dtype=object).reshape(2, 1))
    assert layer.get_vocabulary() == want
    layer.adapt(iter([[CORPUS[0]], np.array([CORPUS[1]])]))
    assert layer.get_vocabulary() == want
    layer.adapt(BatchDataset(np.array(CORPUS * 3), batch_size=2))
    assert layer.get_vocabulary() == want
    layer.adapt(iter([["zebra"], ["yak"], CORPUS]), steps=2)  # the third batch is not read
    assert layer.get_vocabulary() == ["", "[UNK]", "zebra", "yak"]
    layer.adapt("one string, one document")
    assert layer.get_vocabulary() == ["", "[UNK]", "one", "string", "document"]


def test_config_round_trip_carries_the_vocabulary():
    for kwargs in [
        {"output_sequence_length": 5, "ngrams": (1, 2), "max_tokens": 10},
        {"output_mode": "tf_idf", "split": "character", "standardize": "lower"},
        {"output_mode": "multi_hot", "max_tokens": 8, "pad_to_max_tokens": True},
    ]:
        layer = adapted(**kwargs)
        config = json.loads(json.dumps(layer.get_config()))  # what a saved model stores
        assert config["vocabulary"] == layer.get_vocabulary()
        clone = TextVectorization.from_config(config)
        texts = ["the cat sat on a dog", "mat!"]
        np.testing.assert_array_equal(clone(texts).numpy(), layer(texts).numpy())
        assert clone.get_config() == config
    assert adapted(output_mode="tf_idf").get_config()["idf_weights"][0] > 0


def test_config_before_adapt_and_with_a_callable():
    config = TextVectorization(output_mode="count").get_config()
    assert config["vocabulary"] is None and config["output_mode"] == "count"

    def shout(s):
        return s.upper()

    layer = adapted(standardize=shout)
    clone = TextVectorization.from_config(layer.get_config())
    # a callable replaces the default standardization: "SAT." keeps its period
    assert clone.get_vocabulary()[2:5] == ["THE", "SAT.", "SAT"]
    assert clone.standardize is shout and values(clone(["the CAT sat."])) == [[2, 8, 3]]


def test_calling_before_adapt_says_what_to_do():
    with pytest.raises(ValueError, match=r"call adapt\(\) .* or pass vocabulary="):
        TextVectorization()(["hello"])


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match=r"output_mode must be one of \('int', 'multi_hot', 'c"):
        TextVectorization(output_mode="binary")
    with pytest.raises(ValueError, match="standardize must be one of"):
        TextVectorization(standardize="upper")
    with pytest.raises(ValueError, match="split must be one of"):
        TextVectorization(split="comma")
    with pytest.raises(ValueError, match="ngrams must be None, a positive int"):
        TextVectorization(ngrams=0)
    with pytest.raises(ValueError, match="ngrams needs split"):
        TextVectorization(ngrams=2, split=None)
    with pytest.raises(ValueError, match="output_sequence_length applies to output_mode='int'"):
        TextVectorization(output_mode="count", output_sequence_length=3)
    with pytest.raises(ValueError, match="max_tokens must be None or an integer above 2"):
        TextVectorization(max_tokens=2)
    with pytest.raises(ValueError, match="pad_to_max_tokens=True needs max_tokens"):
        TextVectorization(output_mode="count", pad_to_max_tokens=True)
    with pytest.raises(ValueError, match="sparse=True is not supported"):
        TextVectorization(sparse=True)
    with pytest.raises(ValueError, match="ragged=True is not supported"):
        TextVectorization(ragged=True)
    with pytest.raises(ValueError, match="idf_weights needs vocabulary"):
        TextVectorization(output_mode="tf_idf", idf_weights=[1.0])


def test_bad_vocabularies():
    with pytest.raises(ValueError, match=r"repeats tokens \['a'\]"):
        TextVectorization(vocabulary=["a", "b", "a"])
    with pytest.raises(ValueError, match=r"reserved tokens \['\[UNK\]'\] away from its start"):
        TextVectorization(vocabulary=["a", "[UNK]"])
    with pytest.raises(ValueError, match="has 5 entries .* but max_tokens=4"):
        TextVectorization(vocabulary=["a", "b", "c"], max_tokens=4)
    with pytest.raises(ValueError, match="needs idf_weights"):
        TextVectorization(output_mode="tf_idf", vocabulary=["a"])
    with pytest.raises(ValueError, match="idf_weights applies to output_mode='tf_idf' only"):
        TextVectorization(vocabulary=["a"], idf_weights=[1.0])
    with pytest.raises(ValueError, match=r"one weight per vocabulary entry \(2\)"):
        TextVectorization(output_mode="tf_idf", vocabulary=["a", "b"], idf_weights=[1.0])
    with pytest.raises(ValueError, match="the vocabulary is empty"):
        TextVectorization(vocabulary=[])


def test_vocabulary_from_a_file(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("\n\n[UNK]\nzoo\nbar\n".replace("\n\n", "\n", 1), encoding="utf-8")
    layer = TextVectorization(vocabulary=str(path))
    assert layer.get_vocabulary() == ["", "[UNK]", "zoo", "bar"]


def test_non_string_inputs_name_the_dtype():
    layer = adapted()
    with pytest.raises(TypeError, match="got an array of dtype int64"):
        layer(np.array([1, 2], dtype=np.int64))
    with pytest.raises(TypeError, match="got an element of type int"):
        layer(["ok", 3])
    with pytest.raises(TypeError, match="got float"):
        layer(1.5)
    with pytest.raises(ValueError, match=r"shape \(batch,\) or \(batch, 1\), got shape \(2, 2\)"):
        layer(np.array([["a", "b"], ["c", "d"]]))
    with pytest.raises(ValueError, match="adapt\\(\\) received no strings"):
        layer.adapt([])


# ----- inside a model: raw strings in, predictions out -----
REVIEWS = ["a great movie", "great fun, great cast", "an awful film", "awful and dull",
           "truly great", "dull, dull plot", "fun and great", "awful acting"]  # fmt: skip
LABELS = np.array([1, 1, 0, 0, 1, 0, 1, 0], "float32")


def text_classifier():
    """TensorFlow's text classification tutorial, small: a model trained on token indices."""
    from lamina.layers import Dense, Embedding, GlobalAveragePooling1D
    from lamina.models import Sequential

    vectorize_layer = adapted(REVIEWS, max_tokens=30, output_sequence_length=5)
    model = Sequential([Embedding(30, 4), GlobalAveragePooling1D(), Dense(1)])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.fit(vectorize_layer(REVIEWS), LABELS, epochs=3, verbose=0)
    return vectorize_layer, model


def test_export_model_takes_raw_strings(tmp_path):
    from lamina.layers import Activation
    from lamina.models import Sequential, load_model

    vectorize_layer, model = text_classifier()
    export_model = Sequential([vectorize_layer, model, Activation("sigmoid")])
    export_model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    metrics = export_model.evaluate(np.array(REVIEWS), LABELS, return_dict=True, verbose=0)
    assert set(metrics) == {"loss", "accuracy"}
    expected = 1 / (1 + np.exp(-model.predict(vectorize_layer(REVIEWS), verbose=0)))
    np.testing.assert_allclose(export_model.predict(REVIEWS, verbose=0), expected, rtol=1e-5)
    # batches of 3 strings give the same predictions as one batch of 8
    batched = export_model.predict(np.array(REVIEWS), batch_size=3, verbose=0)
    np.testing.assert_allclose(batched, expected, rtol=1e-5)
    assert export_model.input.dtype.kind == "U" and export_model.output.shape == (None, 1)
    export_model.save(tmp_path / "export.lamina")
    loaded = load_model(tmp_path / "export.lamina")
    assert loaded.layers[0].get_vocabulary() == vectorize_layer.get_vocabulary()
    examples = ["The movie was great!", "The movie was awful..."]
    np.testing.assert_array_equal(
        loaded.predict(examples, verbose=0), export_model.predict(examples, verbose=0)
    )


def test_functional_model_with_a_string_input_trains_and_round_trips(tmp_path):
    # keras.io "text classification from scratch": Input(shape=(1,), dtype="string")
    from lamina.layers import Dense, Embedding, GlobalAveragePooling1D, Input
    from lamina.models import Model, load_model

    vectorize_layer = adapted(REVIEWS, max_tokens=30, output_sequence_length=5)
    inputs = Input(shape=(1,), dtype="string")
    indices = vectorize_layer(inputs)
    assert indices.shape == (None, 5) and indices.dtype == np.int64
    x = Embedding(30, 4)(indices)
    outputs = Dense(1, activation="sigmoid")(GlobalAveragePooling1D()(x))
    end_to_end = Model(inputs, outputs)
    end_to_end.compile(loss="binary_crossentropy", optimizer="adam")
    text = np.array(REVIEWS)[:, None]
    history = end_to_end.fit(text, LABELS, epochs=3, batch_size=4, verbose=0)
    assert len(history.history["loss"]) == 3
    end_to_end.save(tmp_path / "e2e.lamina")
    loaded = load_model(tmp_path / "e2e.lamina")
    np.testing.assert_array_equal(
        loaded.predict(text, verbose=0), end_to_end.predict(text, verbose=0)
    )


def test_symbolic_calls_check_the_input_and_follow_compute_output_shape():
    from lamina.layers import Input

    layer = adapted()
    assert layer(Input(shape=(1,), dtype="string")).shape == (None, None)  # padded per batch
    vectors = adapted(output_mode="multi_hot")(Input(shape=(), dtype="string"))
    assert vectors.shape == (None, 7) and vectors.dtype == np.float32
    with pytest.raises(TypeError, match='declare it as Input\\(shape=\\(1,\\), dtype="string"\\)'):
        layer(Input(shape=(1,)))
    with pytest.raises(ValueError, match=r"\(batch,\) or \(batch, 1\), got an input of shape"):
        layer(Input(shape=(2, 3), dtype="string"))


def test_numeric_models_still_refuse_strings():
    from lamina.layers import Dense, Input
    from lamina.models import Sequential

    model = Sequential([Input(shape=(1,)), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(TypeError, match="x must be numeric.*TextVectorization"):
        model.fit(np.array([["a"], ["b"]]), np.zeros(2), verbose=0)
    with pytest.raises(TypeError, match="x must be numeric"):
        model.predict(["a", "b"], verbose=0)
