import os

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.utils import text_dataset_from_directory

REVIEWS = {
    "neg/1.txt": "a dull and boring film",
    "neg/2.txt": "boring, awful plot",
    "neg/3.txt": "awful acting, dull",
    "pos/1.txt": "a great and fun film",
    "pos/2.txt": "fun, great cast",
    "pos/3.txt": "great plot. Caf\u00e9 scene!",
}


@pytest.fixture
def tree(tmp_path):
    for name, text in REVIEWS.items():
        os.makedirs(tmp_path / os.path.dirname(name), exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "pos" / "cover.png").write_bytes(b"\x89PNG")  # not a .txt file: left out
    (tmp_path / "unsup").mkdir()
    return str(tmp_path)


def test_texts_are_bytes_with_labels_from_the_subdirectories(tree, capsys):
    ds = text_dataset_from_directory(tree, batch_size=4, shuffle=False)
    assert capsys.readouterr().out == "Found 6 files belonging to 3 classes.\n"
    assert ds.class_names == ["neg", "pos", "unsup"] and len(ds) == 2
    texts, labels = next(iter(ds))
    assert texts.shape == (4,) and texts.dtype == object
    assert texts.numpy()[0] == b"a dull and boring film" and labels.dtype == np.int32
    assert labels.numpy().tolist() == [0, 0, 0, 1]
    last, _ = list(ds)[-1]
    assert last.numpy()[-1] == "great plot. Caf\u00e9 scene!".encode()


def test_max_length_keeps_that_many_bytes(tree):
    ds = text_dataset_from_directory(tree, max_length=4, batch_size=8, shuffle=False,
                                     class_names=["neg", "pos"], verbose=False)  # fmt: skip
    texts, _ = next(iter(ds))
    assert texts.numpy().tolist() == [b"a du", b"bori", b"awfu", b"a gr", b"fun,", b"grea"]
    with pytest.raises(ValueError, match="max_length must be"):
        text_dataset_from_directory(tree, max_length=-1)


def test_label_modes_and_single_samples(tree):
    kwargs = {"class_names": ["neg", "pos"], "shuffle": False, "verbose": False}
    ds = text_dataset_from_directory(tree, label_mode="binary", batch_size=8, **kwargs)
    assert next(iter(ds))[1].tolist() == [[0.0]] * 3 + [[1.0]] * 3
    ds = text_dataset_from_directory(tree, label_mode="categorical", batch_size=8, **kwargs)
    assert next(iter(ds))[1].shape == (6, 2)
    with pytest.raises(ValueError, match="exactly 2 classes"):
        text_dataset_from_directory(tree, label_mode="binary", verbose=False)
    single = text_dataset_from_directory(tree, batch_size=None, **kwargs)
    text, label = next(iter(single))
    assert text.shape == () and text.numpy().item() == b"a dull and boring film"
    assert int(label) == 0 and len(single) == 6
    texts = next(iter(text_dataset_from_directory(tree, labels=None, batch_size=8, **{
        k: v for k, v in kwargs.items() if k != "class_names"})))  # fmt: skip
    assert not isinstance(texts, tuple) and len(texts) == 6


def test_validation_split_gives_disjoint_subsets(tree):
    kwargs = {"validation_split": 0.5, "seed": 42, "verbose": False, "class_names": ["neg", "pos"]}
    train, val = text_dataset_from_directory(tree, subset="both", **kwargs)
    assert len(train.file_paths) == 3 and len(val.file_paths) == 3
    assert not set(train.file_paths) & set(val.file_paths)
    again = text_dataset_from_directory(tree, subset="validation", **kwargs)
    assert again.file_paths == val.file_paths


def test_tutorial_pipeline_adapt_map_and_fit(tree):
    # the TensorFlow "Basic text classification" steps, on six reviews
    lamina.utils.set_random_seed(0)
    raw_train_ds, raw_val_ds = text_dataset_from_directory(
        tree, batch_size=2, validation_split=0.5, subset="both", seed=42,
        class_names=["neg", "pos"], verbose=False,
    )  # fmt: skip
    vectorize_layer = layers.TextVectorization(max_tokens=50, output_sequence_length=6)
    vectorize_layer.adapt(raw_train_ds.map(lambda x, y: x))
    assert "great" in vectorize_layer.get_vocabulary() or "dull" in vectorize_layer.get_vocabulary()
    train_ds = raw_train_ds.map(lambda x, y: (vectorize_layer(x), y)).cache().prefetch(10)
    val_ds = raw_val_ds.map(lambda x, y: (vectorize_layer(x), y))
    model = lamina.Sequential([
        layers.Embedding(50, 4),
        layers.GlobalAveragePooling1D(),
        layers.Dense(1, activation="sigmoid"),
    ])  # fmt: skip
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(train_ds, validation_data=val_ds, epochs=2, verbose=0)
    assert len(history.history["val_loss"]) == 2
    # a model that reads the raw strings itself
    end_to_end = lamina.Sequential([lamina.Input((1,), dtype="string"), vectorize_layer, model])
    end_to_end.compile(loss="binary_crossentropy")
    assert np.isfinite(end_to_end.evaluate(raw_val_ds, verbose=0))
