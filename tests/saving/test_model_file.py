"""The .lamina file: bit-identical round trips for every layer type, exact resumption of
training, compile settings, custom layers, quantized weights, atomic writes."""

import os

import numpy as np
import pytest

import lamina
from lamina import layers as L
from lamina.layers.layer import _LAYER_CLASSES, register_layer
from lamina.models import Model, Sequential, load_model
from lamina.saving import FormatError, load_weights, save_weights, torch_to_lamina


def seq(shape, *stack):
    return Sequential([L.Input(shape=shape), *stack])


def functional_models():
    a, b = L.Input(shape=(4,)), L.Input(shape=(4,))
    merged = [cls()([a, b]) for cls in (L.Add, L.Subtract, L.Multiply, L.Average, L.Maximum,
                                        L.Minimum)]  # fmt: skip
    merge = Model([a, b], L.Concatenate()([*merged, L.Dot(axes=1)([a, b])]))
    q = L.Input(shape=(5, 8))
    attention = Model(q, L.MultiHeadAttention(num_heads=2, key_dim=4)(q, q))
    v = L.Input(shape=(6, 8))
    dot = L.Attention(use_scale=True, score_mode="concat")([q, v])
    scored = Model([q, v], L.Concatenate()([dot, L.AdditiveAttention()([q, v, v])]))
    return {"merge": (merge, [(3, 4), (3, 4)]), "attention": (attention, (2, 5, 8)),
            "scored_attention": (scored, [(2, 5, 8), (2, 6, 8)])}  # fmt: skip


def sequential_models():
    rnn = dict(return_sequences=True)
    return {
        "dense_activations": (seq((6,), L.Dense(5, activation="tanh"), L.ReLU(), L.LeakyReLU(),
                                  L.PReLU(), L.ELU(), L.Activation("sigmoid"), L.Dropout(0.5),
                                  L.Dense(3), L.Softmax()), (4, 6)),
        "conv2d": (seq((8, 8, 2), L.Conv2D(3, 3, padding="same"), L.BatchNormalization(),
                       L.DepthwiseConv2D(3), L.Conv2DTranspose(2, 3, strides=2),
                       L.MaxPooling2D(), L.AveragePooling2D(), L.ZeroPadding2D(),
                       L.Cropping2D(1), L.UpSampling2D(), L.GlobalMaxPooling2D()), (2, 8, 8, 2)),
        "conv2d_flatten": (seq((6, 6, 1), L.Conv2D(2, 3), L.Flatten(), L.Reshape((4, 8)),
                               L.GlobalAveragePooling1D()), (2, 6, 6, 1)),
        "conv1d": (seq((10, 3), L.Conv1D(4, 3), L.DepthwiseConv1D(3), L.Conv1DTranspose(2, 3),
                       L.MaxPooling1D(), L.AveragePooling1D(), L.ZeroPadding1D(),
                       L.Cropping1D(1), L.UpSampling1D(), L.LayerNormalization(),
                       L.GlobalMaxPooling1D()), (2, 10, 3)),
        "global_average_2d": (seq((5, 5, 2), L.GlobalAveragePooling2D()), (2, 5, 5, 2)),
        "separable_group_unit": (seq((8, 8, 4), L.SeparableConv2D(6, 3, depth_multiplier=2,
                                                                  padding="same"),
                                     L.GroupNormalization(groups=3), L.UnitNormalization(),
                                     L.Reshape((64, 6)), L.SeparableConv1D(4, 3),
                                     L.GroupNormalization(groups=-1)), (2, 8, 8, 4)),
        "noise_and_reshaping": (seq((6,), L.Dense(6), L.Identity(),
                                    L.ActivityRegularization(0.01, 0.02), L.GaussianNoise(0.1),
                                    L.GaussianDropout(0.1), L.AlphaDropout(0.1),
                                    L.RepeatVector(4), L.SpatialDropout1D(0.2),
                                    L.Permute((2, 1)), L.Reshape((6, 2, 2)),
                                    L.SpatialDropout2D(0.2), L.Reshape((6, 2, 2, 1)),
                                    L.SpatialDropout3D(0.2)), (3, 6)),
        "3d": (seq((4, 4, 4, 1), L.ZeroPadding3D(), L.Cropping3D(), L.UpSampling3D(),
                   L.Conv3D(2, 3, padding="same"), L.MaxPooling3D(),
                   L.Conv3DTranspose(2, 2, strides=2), L.AveragePooling3D(),
                   L.GlobalMaxPooling3D(keepdims=True), L.GlobalAveragePooling3D()),
               (1, 4, 4, 4, 1)),
        "recurrent": (seq((6, 3), L.Masking(), L.SimpleRNN(4, **rnn), L.GRU(4, **rnn),
                          L.Bidirectional(L.LSTM(3, **rnn)), L.TimeDistributed(L.Dense(2)),
                          L.LSTM(2)), (3, 6, 3)),
        "rnn_cells": (seq((6, 3), L.RNN(L.LSTMCell(3), return_sequences=True),
                          L.RNN([L.GRUCell(3), L.SimpleRNNCell(2)])), (3, 6, 3)),
        "random_crop": (seq((8, 8, 3), L.RandomCrop(6, 5), L.Conv2D(2, 3)), (2, 8, 8, 3)),
        "spectral": (seq((5, 5, 2), L.SpectralNormalization(L.Conv2D(3, 2)), L.Flatten(),
                         L.SpectralNormalization(L.Dense(2), power_iterations=2)), (2, 5, 5, 2)),
        "hashing": (seq((7,), L.Hashing(16), L.Embedding(16, 4), L.GlobalAveragePooling1D()),
                    "ids"),
        "embedding": (seq((7,), L.Embedding(20, 8, mask_zero=True), L.PositionEmbedding(7),
                          L.SinePositionEncoding(), L.TransformerEncoder(16, num_heads=2),
                          L.GlobalAveragePooling1D()), "ids"),
        "token_position": (seq((7,), L.TokenAndPositionEmbedding(20, 7, 8)), "ids"),
        "numeric_preprocessing": (seq((6,), L.Normalization(), L.Rescaling(0.5, offset=0.1),
                                      L.Dense(4)), (4, 6)),
        "discretization": (seq((6,), L.Discretization(bin_boundaries=[-0.5, 0.0, 0.5]),
                               L.Embedding(4, 3), L.GlobalAveragePooling1D()), (4, 6)),
        "categories": (seq((7,), L.IntegerLookup(vocabulary=list(range(0, 20, 2))),
                           L.CategoryEncoding(11, output_mode="count"), L.Dense(3)), "ids"),
        "image_preprocessing": (seq((8, 8, 3), L.Resizing(6, 6), L.CenterCrop(4, 4),
                                    L.RandomFlip(), L.RandomRotation(0.1),
                                    L.RandomTranslation(0.1, 0.1), L.RandomZoom(0.1),
                                    L.RandomContrast(0.2), L.RandomBrightness(0.1),
                                    L.Conv2D(2, 3)), (2, 8, 8, 3)),
    }  # fmt: skip


def sample(shape, rng):
    if shape == "ids":
        return rng.integers(0, 20, (3, 7)).astype("float32")
    if isinstance(shape, list):
        return [rng.normal(size=s).astype("float32") for s in shape]
    return rng.normal(size=shape).astype("float32")


ALL = {**sequential_models(), **functional_models()}


@pytest.mark.parametrize("name", sorted(ALL))
def test_round_trip_predictions_are_bit_identical(name, tmp_path):
    model, shape = {**sequential_models(), **functional_models()}[name]
    rng = np.random.default_rng(0)
    x = sample(shape, rng)
    for w in model.weights:  # non-trivial BatchNorm statistics, PReLU slopes, ...
        w.assign(rng.normal(size=w.shape).astype("float32") * 0.3 + (w.numpy() != 0))
    expected = model.predict(x, verbose=0)
    model.save(tmp_path / "m.lamina")
    loaded = load_model(tmp_path / "m.lamina")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), expected)
    assert [w.name for w in loaded.weights] == [w.name for w in model.weights]


def test_every_shipped_layer_type_is_in_the_round_trip():
    covered = set()
    for model, _ in ALL.values():
        stack = list(model.layers)
        while stack:
            layer = stack.pop()
            covered.add(type(layer).__name__)
            stack.extend(getattr(layer, "layers", []))
            stack.extend(getattr(layer, k) for k in ("layer", "forward_layer") if hasattr(layer, k))
    shipped = {n for n, c in _LAYER_CLASSES.items() if c.__module__.startswith("lamina.")}
    abstract = {n for n in shipped if n.startswith(("_", "Base"))}
    containers = {"Model", "Functional", "Sequential", "InputLayer"}
    # strings in (a model file's predict takes numbers): their vocabularies travel in their
    # configs (tests/layers/test_text_vectorization.py, tests/layers/preprocessing/)
    separately = {"TextVectorization", "StringLookup"}
    separately.add("Lambda")  # loads with custom_objects: tests/layers/test_lambda_layer.py
    assert shipped - abstract - containers - separately - covered == set()


def mlp():
    return Sequential([L.Input(shape=(5,)), L.Dense(16, activation="relu"), L.Dropout(0.2),
                       L.BatchNormalization(), L.Dense(3, activation="softmax")])  # fmt: skip


def test_training_resumed_from_a_file_equals_uninterrupted_training(tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(96, 5)).astype("float32"), rng.integers(0, 3, 96)
    compile_args = dict(optimizer=lamina.optimizers.Adam(3e-3),
                        loss="sparse_categorical_crossentropy", metrics=["accuracy"])  # fmt: skip
    lamina.seed(7)
    resumed = mlp()
    resumed.compile(**compile_args)
    resumed.fit(x, y, epochs=2, batch_size=16, verbose=0)
    resumed.save(tmp_path / "r.lamina")
    resumed = load_model(tmp_path / "r.lamina")
    assert resumed.optimizer.iterations == 12
    history = resumed.fit(x, y, epochs=2, batch_size=16, verbose=0)

    lamina.seed(7)
    straight = mlp()
    straight.compile(**{**compile_args, "optimizer": lamina.optimizers.Adam(3e-3)})
    full = straight.fit(x, y, epochs=4, batch_size=16, verbose=0)
    for a, b in zip(resumed.get_weights(), straight.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    assert history.history["loss"] == pytest.approx(full.history["loss"][2:], rel=1e-6)
    assert "accuracy" in history.history


def test_compile_settings_are_restored(tmp_path):
    model = mlp()
    model.compile(
        optimizer=lamina.optimizers.RMSprop(0.01, rho=0.8),
        loss=lamina.losses.SparseCategoricalCrossentropy(),
        metrics=["accuracy"],
    )
    model.save(tmp_path / "c.lamina")
    loaded = load_model(tmp_path / "c.lamina")
    assert type(loaded.optimizer).__name__ == "RMSprop" and loaded.optimizer.rho == 0.8
    assert loaded.optimizer.learning_rate == pytest.approx(0.01)
    assert not load_model(tmp_path / "c.lamina", compile=False).compiled


@register_layer
class Scale(L.Layer):
    """A custom layer with a weight and a constructor argument."""

    def __init__(self, factor=1.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")

    def call(self, inputs):
        return inputs * self.w * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def test_custom_registered_layer_round_trips(tmp_path):
    model = seq((3,), Scale(2.5), L.Dense(2))
    model.layers[0].w.assign(np.array([1.0, -2.0, 3.0], "float32"))
    x = np.ones((2, 3), "float32")
    model.save(tmp_path / "s.lamina")
    loaded = load_model(tmp_path / "s.lamina")
    assert loaded.layers[0].factor == 2.5
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_unbuilt_model_built_from_data_round_trips(tmp_path):
    model = Sequential([L.Dense(4), L.Dense(1)])  # no input shape: built by its first call
    x = np.ones((2, 6), "float32")
    expected = model.predict(x, verbose=0)
    model.save(tmp_path / "u.lamina")
    np.testing.assert_array_equal(load_model(tmp_path / "u.lamina").predict(x, verbose=0), expected)
    with pytest.raises(ValueError, match="not built"):
        Sequential([L.Dense(4)]).save(tmp_path / "v.lamina")


def test_loading_draws_no_random_numbers(tmp_path):
    mlp().save(tmp_path / "m.lamina")
    lamina.seed(3)
    load_model(tmp_path / "m.lamina")
    after_load = lamina.backend.rng().random()
    lamina.seed(3)
    assert lamina.backend.rng().random() == after_load


@pytest.mark.parametrize("dtype, max_error, shrink", [("float16", 1e-3, 0.55), ("int8", 0.02, 0.3)])
def test_quantized_weights_are_smaller_and_close(dtype, max_error, shrink, tmp_path):
    model = seq((64,), L.Dense(256, activation="tanh"), L.Dense(10))
    x = np.random.default_rng(0).normal(size=(8, 64)).astype("float32")
    model.save(tmp_path / "full.lamina")
    model.save(tmp_path / "small.lamina", weights_dtype=dtype)
    ratio = os.path.getsize(tmp_path / "small.lamina") / os.path.getsize(tmp_path / "full.lamina")
    assert ratio < shrink
    small = load_model(tmp_path / "small.lamina")
    assert small.weights[0].dtype == np.float32
    error = np.abs(small.predict(x, verbose=0) - model.predict(x, verbose=0)).max()
    assert 0 < error < max_error
    with pytest.raises(ValueError, match="weights_dtype"):
        model.save(tmp_path / "x.lamina", weights_dtype="int4")


def test_failed_save_keeps_the_previous_file(tmp_path, monkeypatch):
    model = mlp()
    path = tmp_path / "keep.lamina"
    model.save(path)
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="disk full"):
        model.save(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.lamina"]  # no temp file left


def test_weights_by_name_position_skip_mismatch_and_torch_mapping(tmp_path):
    source = seq((4,), L.Dense(3, name="a"), L.Dense(2, name="b"))
    save_weights(source, tmp_path / "w.safetensors")
    same_shape = seq((4,), L.Dense(3), L.Dense(2))  # other names: matched by position
    same_shape.load_weights(tmp_path / "w.safetensors")
    for a, b in zip(same_shape.get_weights(), source.get_weights()):
        np.testing.assert_array_equal(a, b)
    new_head = seq((4,), L.Dense(3, name="a"), L.Dense(5, name="b"))
    with pytest.raises(ValueError, match=r"shape mismatches: \['b.kernel"):
        new_head.load_weights(tmp_path / "w.safetensors")
    with pytest.warns(UserWarning, match="skipped"):
        new_head.load_weights(tmp_path / "w.safetensors", skip_mismatch=True)
    np.testing.assert_array_equal(new_head.get_weights()[0], source.get_weights()[0])

    from lamina.saving.safetensors import save_file

    torch_like = {"fc.weight": np.arange(12, dtype="float32").reshape(3, 4),
                  "fc.bias": np.ones(3, "float32")}  # fmt: skip
    save_file(torch_like, tmp_path / "torch.safetensors")
    target = seq((4,), L.Dense(3, name="dense"))
    target.load_weights(tmp_path / "torch.safetensors",
                        mapping=torch_to_lamina({"fc.weight": "dense.kernel",
                                                 "fc.bias": "dense.bias"}))  # fmt: skip
    np.testing.assert_array_equal(target.get_weights()[0], torch_like["fc.weight"].T)
    with pytest.warns(UserWarning, match="skipped"):  # nothing matches: a warning, no change
        load_weights(target, tmp_path / "w.safetensors", skip_mismatch=True)


def test_model_checkpoint_writes_loadable_files(tmp_path):
    x, y = np.ones((8, 5), "float32"), np.zeros(8)
    model = mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    path = str(tmp_path / "ck-{epoch}.lamina")
    model.fit(x, y, epochs=2, verbose=0,
              callbacks=[lamina.callbacks.ModelCheckpoint(path)])  # fmt: skip
    loaded = load_model(tmp_path / "ck-2.lamina")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.optimizer.iterations == 2


def test_a_weights_file_is_not_a_model_file(tmp_path):
    save_weights(mlp(), tmp_path / "w.lamina")
    with pytest.raises(FormatError, match="not a lamina model file"):
        load_model(tmp_path / "w.lamina")


def test_pytorch_safetensors_file_loads_through_the_mapping_hook():
    fixtures = os.path.join(os.path.dirname(__file__), "..", "fixtures")
    model = seq((8, 8, 2), L.Conv2D(4, 3, activation="relu", name="conv"), L.MaxPooling2D(),
                L.Flatten(), L.Dense(5, name="fc"))  # fmt: skip
    names = {"conv.weight": "conv.kernel", "conv.bias": "conv.bias",
             "fc.weight": "fc.kernel", "fc.bias": "fc.bias"}  # fmt: skip
    model.load_weights(os.path.join(fixtures, "torch_cnn.safetensors"),
                       mapping=torch_to_lamina(names))  # fmt: skip
    with np.load(os.path.join(fixtures, "torch_cnn_outputs.npz")) as f:
        np.testing.assert_allclose(model.predict(f["x"], verbose=0), f["y"], atol=1e-5)


def test_load_weights_reads_a_model_file_and_checks_it(tmp_path):
    model = mlp()
    model.save(tmp_path / "m.lamina")
    other = mlp()
    other.load_weights(tmp_path / "m.lamina")
    for a, b in zip(other.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    blob = bytearray((tmp_path / "m.lamina").read_bytes())
    blob[-3] ^= 0xFF
    (tmp_path / "bad.lamina").write_bytes(bytes(blob))
    with pytest.raises(FormatError, match="checksum mismatch"):
        other.load_weights(tmp_path / "bad.lamina")


@lamina.saving.register_keras_serializable()
class HiddenUnits(Model):
    """The keras.io serialization guide's subclassed model: layers made in __init__."""

    def __init__(self, hidden_units, **kwargs):
        super().__init__(**kwargs)
        self.hidden_units = hidden_units
        self.dense_layers = [L.Dense(u) for u in hidden_units]

    def call(self, inputs):
        for layer in self.dense_layers:
            inputs = layer(inputs)
        return inputs

    def get_config(self):
        return {"hidden_units": self.hidden_units}


def test_subclassed_model_reloads_in_the_same_process(tmp_path):
    # the reloaded model's layers get new automatic names (dense_7 for dense_4), but a
    # subclassed model keys its weights by attribute path, the same for every instance
    model = HiddenUnits([16, 16, 10])
    x = np.random.default_rng(0).random((3, 8)).astype("float32")
    model(x)
    model.compile("adam", "mse")
    model.fit(x, np.zeros((3, 10), "float32"), verbose=0)
    model.save(tmp_path / "s.keras")
    loaded = load_model(tmp_path / "s.keras")
    assert list(loaded.state_dict()) == list(model.state_dict())
    assert list(model.state_dict())[:2] == ["dense_layers.0.kernel", "dense_layers.0.bias"]
    assert loaded.dense_layers[0].name != model.dense_layers[0].name
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.optimizer.iterations == 1


def _rewritten(path, edit):
    """The model file at ``path`` with its tensor entries edited and its checksum redone."""
    import hashlib
    import json
    import struct

    from lamina.saving.safetensors import encode_header

    blob = path.read_bytes()
    (n,) = struct.unpack("<Q", blob[:8])
    header, data = json.loads(blob[8 : 8 + n]), blob[8 + n :]
    metadata = header.pop("__metadata__")
    edit(header)
    metadata["sha256"] = hashlib.sha256(data).hexdigest()
    out = path.with_name("edited.keras")
    out.write_bytes(encode_header(header, metadata) + data)
    return out


def test_loading_by_position_stays_strict_about_shapes_and_counts(tmp_path):
    model = HiddenUnits([4, 3])
    model(np.zeros((1, 5), "float32"))
    model.save(tmp_path / "s.keras")

    def extra_tensor(header):  # one more tensor than the model has
        name = next(k for k in header if k.endswith(".bias"))
        header["weights/extra.bias"] = dict(header[name])

    def old_names(header):  # as written before subclassed models were keyed by attribute
        for key in [k for k in header if k.startswith("weights/")]:
            header[key.replace("dense_layers.", "dense_9")] = header.pop(key)

    def transposed_kernel(header):  # same bytes, another shape
        old_names(header)
        name = next(k for k in header if k.endswith(".kernel"))
        header[name]["shape"] = header[name]["shape"][::-1]

    x = np.ones((2, 5), "float32")
    old = load_model(_rewritten(tmp_path / "s.keras", old_names))  # by position
    np.testing.assert_array_equal(old.predict(x, verbose=0), model.predict(x, verbose=0))
    for edit, message in (
        (extra_tensor, r"unexpected tensors \[.*'extra.bias'"),
        (transposed_kernel, r"missing tensors \['dense_layers.0.kernel'"),
    ):
        with pytest.raises(FormatError, match=message):
            load_model(_rewritten(tmp_path / "s.keras", edit))
