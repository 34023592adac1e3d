"""The Report callback and the HTML page it writes (lamina/report/), parsed, section by section."""

import base64
import json
import os
from html.parser import HTMLParser

import numpy as np
import pytest

from lamina import initializers
from lamina.callbacks import Diagnostics, Report
from lamina.layers import Dense
from lamina.models import Sequential
from lamina.png import PNG_SIGNATURE
from lamina.report import load_run, render, save_run
from lamina.report.svg import line_chart, nice_ticks
from tests.explain.mnist_run import EPOCHS, VAL, trained_cnn

SECTION_IDS = [
    "learning-curves",
    "metrics",
    "confusion-matrix",
    "diagnostics",
    "model-summary",
    "explanations",
]


class Page(HTMLParser):
    """Each section's elements ``(tag, attrs)``, text and table cells, and every element of the
    page."""

    def __init__(self, text):
        super().__init__()
        self.sections, self.elements, self.current, self.last = {}, [], None, None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.elements.append((tag, attrs))
        if tag == "section":
            self.current = attrs["id"]
            self.sections[self.current] = {"elements": [], "text": [], "cells": []}
        elif self.current:
            self.sections[self.current]["elements"].append((tag, attrs))
        self.last = tag

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "section":
            self.current = None

    def handle_data(self, data):
        if self.current:
            self.sections[self.current]["text"].append(data)
            if self.last == "td":
                self.sections[self.current]["cells"].append(data)

    def text(self, section):
        return " ".join(" ".join(self.sections[section]["text"]).split())

    def tags(self, section, tag, **attrs):
        return [
            a
            for t, a in self.sections[section]["elements"]
            if t == tag and all(a.get(k) == v for k, v in attrs.items())
        ]


def read_page(run_dir):
    with open(os.path.join(run_dir, "report.html"), encoding="utf-8") as f:
        return f.read()


@pytest.fixture(scope="module")
def mnist_page():
    run = trained_cnn()
    return run, Page(read_page(run.run_dir))


def test_the_page_is_one_offline_file(mnist_page):
    run, page = mnist_page
    assert sorted(os.listdir(run.run_dir)) == ["explanations", "report.html", "run.json"]
    tags = {tag for tag, _ in page.elements}
    assert not tags & {"script", "link", "iframe", "object", "embed"}
    for tag, attrs in page.elements:
        for name in ("src", "href"):
            value = attrs.get(name) or ""
            assert not value.startswith(("http:", "https:", "//", "file:")), (tag, value)
    images = [a["src"] for t, a in page.elements if t == "img"]
    assert images and all(s.startswith("data:image/png;base64,") for s in images)
    assert all(base64.b64decode(s.split(",", 1)[1])[:8] == PNG_SIGNATURE for s in images)
    assert "@import" not in read_page(run.run_dir) and "url(" not in read_page(run.run_dir)


def test_every_section_is_there_in_order(mnist_page):
    _, page = mnist_page
    assert list(page.sections) == SECTION_IDS
    for sid in SECTION_IDS:
        assert page.tags(sid, "h2"), sid


def test_learning_curves_draw_training_and_validation(mnist_page):
    run, page = mnist_page
    charts = page.tags("learning-curves", "svg")
    assert [c["aria-label"] for c in charts] == ["loss", "accuracy"]
    lines = page.tags("learning-curves", "polyline")
    assert len(lines) == 4  # training and validation, for each
    assert all(len(line["points"].split()) == EPOCHS for line in lines)
    assert sum(1 for line in lines if line.get("stroke-dasharray")) == 2  # validation dashed
    loss = [float(p.split(",")[1]) for p in lines[0]["points"].split()]
    assert loss[-1] > loss[0]  # SVG y grows downwards: the training loss fell


def test_metrics_table_holds_the_final_values(mnist_page):
    run, page = mnist_page
    text = page.text("metrics")
    history = run.history.history
    assert f"loss {history['loss'][-1]:.4f} {history['val_loss'][-1]:.4f}" in text
    assert f"accuracy {history['accuracy'][-1]:.4f} {history['val_accuracy'][-1]:.4f}" in text
    assert f"Every epoch ({EPOCHS})" in text


def test_confusion_matrix_counts_every_validation_sample(mnist_page):
    run, page = mnist_page
    assert page.tags("confusion-matrix", "table", **{"class": "confusion"})
    matrix = np.array([int(c) for c in page.sections["confusion-matrix"]["cells"]])
    matrix = matrix.reshape(10, 10)
    assert matrix.sum() == VAL
    assert np.trace(matrix) / VAL == pytest.approx(run.history.history["val_accuracy"][-1])
    assert f"accuracy {run.history.history['val_accuracy'][-1]:.2%}" in page.text(
        "confusion-matrix"
    )


def test_diagnostics_section_of_a_healthy_run(mnist_page):
    _, page = mnist_page
    assert "No problems found" in page.text("diagnostics")
    assert "Per-layer statistics" in page.text("diagnostics")
    assert "last_conv" in page.text("diagnostics")


def test_model_summary_section(mnist_page):
    run, page = mnist_page
    text = page.text("model-summary")
    assert page.tags("model-summary", "pre")
    assert f"Total params: {run.model.count_params():,}" in text and "last_conv (Conv2D)" in text


def test_explanations_show_each_sample_with_saliency_and_grad_cam(mnist_page):
    run, page = mnist_page
    figures = page.tags("explanations", "figure")
    assert len(figures) == 4
    assert [a["alt"] for a in page.tags("explanations", "img")] == [
        "input",
        "saliency",
        "Grad-CAM",
    ] * 4
    text = page.text("explanations")
    for label in run.y_val[:4]:
        assert f"true {label}" in text


def test_run_json_round_trip_and_the_cli_renders_the_same_page(mnist_page, capsys):
    from lamina import cli

    run, _ = mnist_page
    data = load_run(run.run_dir)
    assert data["history"] == json.loads(json.dumps(run.history.history))
    assert data["diagnostics_enabled"] is True and data["diagnostics"] == []
    before = read_page(run.run_dir)
    os.remove(os.path.join(run.run_dir, "report.html"))
    assert cli.main(["report", run.run_dir]) == 0
    assert "report written to" in capsys.readouterr().out
    assert read_page(run.run_dir) == before


def test_report_of_a_broken_tabular_run_shows_findings_and_bar_charts(tmp_path, rng):
    x = rng.normal(size=(96, 5)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    model = Sequential(
        [
            Dense(8, activation="relu", input_shape=(5,), name="hidden"),
            Dense(8, activation="relu", name="dead", bias_initializer=initializers.Constant(-9.0)),
            Dense(2, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    report = Report(
        tmp_path,
        validation_data=(x, y),
        samples=2,
        verbose=0,
        feature_names=["a", "b", "c", "d", "e"],
        class_names=["no", "yes"],
    )
    model.fit(x, y, epochs=2, verbose=0, callbacks=[Diagnostics(verbose=0), report])
    page = Page(read_page(tmp_path))
    findings = page.tags("diagnostics", "div", **{"class": "finding dead_relu"})
    assert len(findings) == 1
    text = page.text("diagnostics")
    assert "dead relu epoch 1, layer dead" in text and "Remedy:" in text
    assert "yes" in page.text("confusion-matrix")
    bars = page.tags("explanations", "svg")
    assert [b["aria-label"] for b in bars] == ["saliency", "Integrated Gradients"] * 2
    assert len(page.tags("explanations", "rect")) == 2 * 2 * 5


def test_regression_runs_have_no_confusion_matrix_and_say_why(tmp_path, rng):
    model = Sequential([Dense(1, input_shape=(3,))])
    model.compile(optimizer="sgd", loss="mse")
    x = rng.normal(size=(32, 3))
    y = x.sum(axis=1, keepdims=True) + 0.5
    model.fit(x, y, epochs=1, verbose=0, callbacks=[Report(tmp_path, (x, y), verbose=0)])
    page = Page(read_page(tmp_path))
    assert "No confusion matrix" in page.text("confusion-matrix")
    assert "Diagnostics were not enabled" in page.text("diagnostics")


def test_text_from_the_run_is_escaped(tmp_path):
    model = Sequential([Dense(1, input_shape=(2,))], name="m")
    run = save_run(tmp_path, model, history={"loss": [1.0]}, title="<script>alert(1)</script>")
    page = render(run, tmp_path)
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_chart_helpers():
    assert nice_ticks(0.0, 1.0) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert nice_ticks(2.0, 2.0)[0] < 2.0 < nice_ticks(2.0, 2.0)[-1]  # a flat line gets room
    chart = line_chart({"loss": [1.0, None, float("nan"), 0.5, 0.4]})
    assert chart.count("<polyline") == 1  # the gap splits the line; one point alone is a dot
    assert chart.count("<circle") == 3


def test_load_run_explains_a_wrong_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="Report callback"):
        load_run(tmp_path)
    (tmp_path / "run.json").write_text("{}")
    with pytest.raises(ValueError, match="not a lamina run file"):
        load_run(tmp_path)


def test_a_failing_explanation_is_noted_not_raised(tmp_path, rng):
    model = Sequential([Dense(2, activation="softmax", input_shape=(3,))])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    x, y = rng.normal(size=(16, 3)), np.arange(16) % 2
    report = Report(tmp_path, (x, y), methods=("grad_cam",), verbose=0)
    with pytest.warns(UserWarning, match="the report has no explanations: grad_cam needs"):
        history = model.fit(x, y, epochs=1, verbose=0, callbacks=[report])
    assert len(history.history["loss"]) == 1
    page = Page(read_page(tmp_path))
    assert "Could not compute this: ValueError: grad_cam needs images" in page.text("explanations")
    assert page.tags("confusion-matrix", "table", **{"class": "confusion"})  # the rest is there
