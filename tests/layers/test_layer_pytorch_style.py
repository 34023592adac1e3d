"""Layer's PyTorch-style API: parameters() as a live view, state_dict keyed by attribute path for
subclassed models, load_state_dict by position, and train()/eval()."""

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.layers import BatchNormalization, Dense, Dropout, Input, Layer
from lamina.models import Model, Sequential

X = np.random.default_rng(0).normal(size=(4, 5)).astype("float32")


class Block(Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.dense = Dense(units)
        self.norm = BatchNormalization()

    def call(self, x, training=None):
        return self.norm(self.dense(x), training=training)


class Net(Model):
    def __init__(self):
        super().__init__()
        self.blocks = [Block(4), Block(3)]
        self.head = Sequential([Dense(3), Dense(2)])
        self.dropout = Dropout(0.5)
        self.out = Dense(1)

    def call(self, x):
        for block in self.blocks:
            x = block(x)
        return self.out(self.dropout(self.head(x)))


def built(model):
    model(X)
    return model


# ----- parameters() -----
def test_parameters_is_a_live_view_of_the_trainable_weights():
    model = Net()
    params = model.parameters()
    assert len(params) == 0 and list(params) == [] and params == []
    built(model)
    assert len(params) == 14 and params == model.trainable_weights
    assert params[0] is model.blocks[0].dense.kernel
    model.blocks[0].trainable = False
    assert len(params) == 10  # still live
    both = params + Net().parameters()  # lists still concatenate
    assert isinstance(both, list) and len(both) == 10
    assert [] + params == list(params)


# ----- state_dict keys -----
def test_subclassed_model_keys_weights_by_attribute_path():
    model = built(Net())
    keys = list(model.state_dict())
    assert keys[:6] == [
        "blocks.0.dense.kernel", "blocks.0.dense.bias", "blocks.0.norm.gamma",
        "blocks.0.norm.beta", "blocks.0.norm.moving_mean", "blocks.0.norm.moving_variance",
    ]  # fmt: skip
    assert keys[12:] == ["head.0.kernel", "head.0.bias", "head.1.kernel", "head.1.bias",
                         "out.kernel", "out.bias"]  # fmt: skip
    assert [name for name, _ in model.named_parameters()][:4] == [
        "blocks.0.dense.kernel", "blocks.0.dense.bias", "blocks.0.norm.gamma", "blocks.0.norm.beta"
    ]  # fmt: skip
    # the order stays the creation order of get_weights()
    for value, weight in zip(model.state_dict().values(), model.get_weights()):
        np.testing.assert_array_equal(value, weight)


def test_a_second_instance_loads_the_first_ones_state_dict():
    first, second = built(Net()), built(Net())
    assert first.out.name != second.out.name  # automatic names differ per instance
    second.load_state_dict(first.state_dict())
    np.testing.assert_array_equal(second.predict(X, verbose=0), first.predict(X, verbose=0))


def test_sequential_functional_and_builtin_layers_keep_their_layer_names():
    seq = Sequential([Input(shape=(5,)), Dense(2, name="a"), Dense(1, name="b")])
    assert list(seq.state_dict()) == ["a.kernel", "a.bias", "b.kernel", "b.bias"]
    inputs = Input(shape=(5,))
    functional = Model(inputs, Dense(1, name="score")(inputs))
    assert list(functional.state_dict()) == ["score.kernel", "score.bias"]
    dense = Dense(2, name="solo")
    dense(X)
    assert list(dense.state_dict()) == ["solo.kernel", "solo.bias"]


def test_load_state_dict_loads_by_position_only_across_automatic_numbering():
    from lamina.layers import Dense, Input
    from lamina.models import Sequential

    first = Sequential([Input(shape=(5,)), Dense(3), Dense(3)])
    second = Sequential([Input(shape=(5,)), Dense(3), Dense(3)])  # dense_2, dense_3: renumbered
    assert list(first.state_dict()) != list(second.state_dict())
    assert second.load_state_dict(first.state_dict()) == ([], [])
    np.testing.assert_array_equal(second.predict(X, verbose=0), first.predict(X, verbose=0))

    model = built(Net())
    other_names = {  # the same shapes in the same order, under names that are not numbering
        f"layer_{i}.w": value for i, value in enumerate(model.state_dict().values())
    }
    other = built(Net())
    with pytest.raises(KeyError, match="missing.*unexpected"):
        other.load_state_dict(other_names)  # never guessed into same-shaped weights
    missing, unexpected = other.load_state_dict(other_names, strict=False)
    assert len(missing) == 18 and len(unexpected) == 18


def test_load_weights_reads_files_written_with_the_old_names(tmp_path):
    from lamina.saving.safetensors import save_file

    model = built(Net())
    old_names = [v.name.replace("/", ".") for v in model._all_variables()]  # "dense_7.kernel"
    save_file(dict(zip(old_names, model.get_weights())), tmp_path / "old.safetensors")
    other = built(Net())
    other.load_weights(tmp_path / "old.safetensors")
    np.testing.assert_array_equal(other.predict(X, verbose=0), model.predict(X, verbose=0))


# ----- train() / eval() -----
class Recorder(Layer):
    """Records the training value each call receives."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen = []

    def call(self, x, training=None):
        self.seen.append(training)
        return x


class Outer(Model):
    def __init__(self):
        super().__init__()
        self.inner = Recorder()
        self.dense = Dense(1)

    def call(self, x):
        return self.dense(self.inner(x))


def test_train_and_eval_set_the_mode_recursively_and_return_the_model():
    model = Net()
    assert model.training is False  # no mode: each call uses its own default
    assert model.train() is model
    assert model.training and model.blocks[1].norm.training and model.head.layers[0].training
    assert model.eval() is model
    assert not any(layer.training for layer in model._flatten_layers())
    model.train(mode=True)
    assert model.dropout.training
    with pytest.raises(ValueError, match="expects True or False, got 'yes'"):
        model.train("yes")


def test_mode_controls_dropout_in_plain_calls():
    model = built(Net())
    x = np.repeat(X, 16, axis=0)  # 64 rows: two dropout draws cannot coincide
    deterministic = model(x).numpy()
    np.testing.assert_array_equal(model(x).numpy(), deterministic)  # inference by default
    model.train()
    assert not np.array_equal(model(x).numpy(), model(x).numpy())
    model.eval()  # (the batch norms' moving statistics moved during the training calls)
    np.testing.assert_array_equal(model(x).numpy(), model(x).numpy())


def test_training_precedence():
    model = Outer()
    model(X)
    assert model.inner.seen[-1] is None  # no mode, call's default None
    model.eval()
    model(X)
    assert model.inner.seen[-1] is False
    model(X, training=True)  # explicit beats the mode, and reaches inner layers
    assert model.inner.seen[-1] is True
    model.train()
    model.inner.eval()
    model(X)  # the enclosing call (training from the model's mode) beats the inner mode
    assert model.inner.seen[-1] is True
    model.inner(X)  # called alone, its own mode
    assert model.inner.seen[-1] is False
    model.inner(X, training=True)
    assert model.inner.seen[-1] is True


def test_fit_evaluate_and_predict_ignore_the_mode():
    model = Outer()
    model.compile(optimizer="sgd", loss="mse")
    model.eval()
    model.fit(X, np.zeros((4, 1), "float32"), epochs=1, verbose=0)
    assert model.inner.seen[-1] is True
    model.train()
    model.evaluate(X, np.zeros((4, 1), "float32"), verbose=0)
    assert model.inner.seen[-1] is False
    model.predict(X, verbose=0)
    assert model.inner.seen[-1] is False


def test_eval_turns_off_an_augmentation_layers_default_training():
    flip = layers.RandomFlip("horizontal", seed=1)
    images = np.arange(2 * 4 * 4 * 1, dtype="float32").reshape(2, 4, 4, 1)
    flipped = [not np.array_equal(flip(images).numpy(), images) for _ in range(10)]
    assert any(flipped)  # Keras's default: training=True
    flip.eval()
    assert all(np.array_equal(flip(images).numpy(), images) for _ in range(10))


def test_mode_is_not_part_of_the_config():
    model = Dense(2).eval()
    assert "training" not in model.get_config()
    assert lamina.layers.Dense.from_config(model.get_config()).training is False
