"""Layer's functional-graph properties (input, output, input_dtype) and the rules of __call__
that tutorials depend on: how ``training`` is resolved, and strings refused by numeric layers."""

import numpy as np
import pytest

from lamina import layers
from lamina.layers import Dense, Input, Layer, RandomFlip
from lamina.models import Model, Sequential


def test_input_and_output_come_from_the_first_call():
    dense = Dense(2)
    first, second = Input(shape=(3,)), Input(shape=(3,))
    out = dense(first)
    dense(second)  # a shared layer: Keras 3 answers with its first call
    assert dense.input is first and dense.output is out
    assert first.layer.output is first and first.layer.input is first


def test_a_layer_never_called_has_no_output():
    dense = Dense(2)
    with pytest.raises(AttributeError, match="dense.* has never been called"):
        _ = dense.output
    assert not hasattr(dense, "input")
    dense(np.zeros((1, 3), "float32"))  # an eager call makes no graph node
    assert not hasattr(dense, "output")


def test_a_functional_model_input_and_output_are_its_own():
    inputs = {"a": Input(shape=(2,), name="a"), "b": Input(shape=(3,), name="b")}
    outputs = Dense(1)(inputs["b"])
    model = Model(inputs, outputs)
    assert model.input == inputs and model.output is outputs


class Recorder(Layer):
    """Records the ``training`` its call receives; the default is set per subclass."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen = []

    def call(self, inputs, training=None):
        self.seen.append(training)
        return inputs


class AugmentLike(Recorder):
    def call(self, inputs, training=True):  # Keras's augmentation layers default to True
        self.seen.append(training)
        return inputs


class Wrapper(Layer):
    def __init__(self, inner, **kwargs):
        super().__init__(**kwargs)
        self.inner = inner

    def call(self, inputs, training=False):
        return self.inner(inputs)


def test_training_is_the_callers_else_the_enclosing_calls_else_the_default():
    x = np.zeros((2, 3), "float32")
    layer = AugmentLike()
    layer(x)
    layer(x, training=False)
    assert layer.seen == [True, False]
    plain = Recorder()
    plain(x)
    assert plain.seen == [None]  # no value anywhere: the call's own default
    inner = AugmentLike()
    Wrapper(inner)(x)  # the wrapper's default (False) is inherited
    Wrapper(inner)(x, training=True)
    assert inner.seen == [False, True]
    nested = AugmentLike()
    model = Sequential([Input(shape=(3,)), nested])
    nested.seen.clear()  # building ran it once, at inference (see the next test)
    model(x)  # Sequential's default is None: the layer keeps its own (Keras: True)
    model(x, training=False)
    model.predict(x, verbose=0)
    assert nested.seen == [True, False, False]


def test_building_a_graph_never_runs_layers_in_training_mode():
    # the dry run behind a symbolic call must not draw random transforms (or update statistics)
    built, inputs = RandomFlip(seed=7), Input(shape=(4, 4, 1))
    Model(inputs, built(inputs))
    x = np.arange(64, dtype="float32").reshape(4, 4, 4, 1)
    fresh = RandomFlip(seed=7)
    np.testing.assert_array_equal(built(x).numpy(), fresh(x).numpy())


def test_numeric_layers_refuse_strings_with_a_clear_error():
    with pytest.raises(TypeError, match=r"dense.*expects numbers, got strings.*TextVectorization"):
        Dense(2)(np.array([["a", "b"]]))
    model = Sequential([Input(shape=(2,)), Dense(1, name="scorer")])
    with pytest.raises(TypeError, match="scorer"):
        model(np.array([["a", "b"]]))
    with pytest.raises(TypeError, match="scorer"):
        model(["a", "b"])


def test_a_custom_layer_that_reads_text_says_so():
    class Lengths(Layer):
        input_dtype = "string"

        def call(self, inputs, training=False):
            return np.char.str_len(inputs.numpy()).astype("float32")

    assert Lengths()(["ab", "abc"]).tolist() == [2.0, 3.0]  # a list of texts is one input
    assert Sequential([Lengths()]).input_dtype == "string"
    assert Dense(1).input_dtype == "float32"


def test_add_weight_without_initializer_is_glorot_for_floats_and_zeros_otherwise():
    layer = Layer()
    kernel = layer.add_weight(shape=(30, 20))  # Keras's default: initializer=None
    limit = np.sqrt(6 / (30 + 20))
    assert kernel.numpy().std() > limit / 3 and np.abs(kernel.numpy()).max() < limit
    count = layer.add_weight(shape=np.int64(3), initializer=None, dtype="int32", trainable=False)
    assert count.dtype == np.int32 and count.numpy().tolist() == [0, 0, 0]
    assert layer.add_weight(shape=None, initializer="ones").shape == ()


def _settings(layer):
    """Each weight's constraint and regularizer, as saved."""
    from lamina.layers.layer import _serialize

    return [(_serialize(v.constraint), _serialize(v.regularizer)) for v in layer.weights]


@pytest.mark.parametrize(
    "name, args, weights, input_shape",
    [
        ("Dense", (3,), ("kernel", "bias"), (4,)),
        ("Conv2D", (2, 3), ("kernel", "bias"), (6, 6, 2)),
        ("Conv1DTranspose", (2, 3), ("kernel", "bias"), (5, 2)),
        ("DepthwiseConv2D", (3,), ("depthwise", "bias"), (6, 6, 2)),
        ("SeparableConv1D", (2, 3), ("depthwise", "pointwise", "bias"), (6, 2)),
        ("BatchNormalization", (), ("beta", "gamma"), (4,)),
        ("LayerNormalization", (), ("beta", "gamma"), (4,)),
        ("GroupNormalization", (2,), ("beta", "gamma"), (4,)),
        ("Embedding", (10, 3), ("embeddings",), None),
        ("PReLU", (), ("alpha",), (4,)),
        ("LSTM", (3,), ("kernel", "recurrent", "bias"), (5, 2)),
        ("GRU", (3,), ("kernel", "recurrent", "bias"), (5, 2)),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_constraints_and_regularizers_survive_save_and_load(
    tmp_path, name, args, weights, input_shape
):
    from lamina import constraints, regularizers
    from lamina.layers.layer import _serialize
    from lamina.models import load_model

    kwargs = {"activity_regularizer": regularizers.L2(0.005)}
    for w in weights:
        kwargs[f"{w}_constraint"] = constraints.MaxNorm(1.5, axis=0)
        kwargs[f"{w}_regularizer"] = regularizers.L1L2(l1=0.003, l2=0.004)
    layer = getattr(layers, name)(*args, **kwargs, name="probe")
    inputs = Input(shape=(5,), dtype="int32") if input_shape is None else Input(shape=input_shape)
    Sequential([inputs, layer]).save(tmp_path / "m.lamina")
    loaded = load_model(tmp_path / "m.lamina").get_layer("probe")
    assert {arg: _serialize(getattr(loaded, arg)) for arg in kwargs} == {
        arg: _serialize(value) for arg, value in kwargs.items()
    }
    assert _settings(loaded) == _settings(layer)


def test_input_shape_and_output_shape_as_keras():
    """``model.input_shape``/``output_shape`` (Keras 3) and a layer's (Keras 2 tutorials)."""
    model = Sequential([Input((6,)), Dense(3)])
    assert (model.input_shape, model.output_shape) == ((None, 6), (None, 3))
    assert model.layers[0].output_shape == (None, 3)
    a, b = Input((5,)), Input((2,))
    functional = Model([a, b], [Dense(4)(a), b])
    assert functional.input_shape == [(None, 5), (None, 2)]
    assert functional.output_shape == [(None, 4), (None, 2)]
    with pytest.raises(AttributeError, match="no defined inputs"):
        _ = Sequential([Dense(3)]).input_shape


def test_weights_are_listed_layer_by_layer_as_in_keras_3():
    def model():
        return Sequential([Input((3,)), Dense(2), layers.BatchNormalization(), Dense(1)])

    student = model()
    assert [w.name.split("/")[-1] for w in student.weights] == [
        "kernel", "bias", "gamma", "beta", "moving_mean", "moving_variance", "kernel", "bias",
    ]  # fmt: skip
    teacher = model()
    teacher.trainable = False  # a frozen EMA teacher: zip pairs the same weights
    for s, t in zip(student.weights, teacher.weights, strict=True):
        assert s.name.split("/")[-1] == t.name.split("/")[-1] and s.shape == t.shape
    assert len(teacher.trainable_weights) == 0 and len(student.trainable_weights) == 6
