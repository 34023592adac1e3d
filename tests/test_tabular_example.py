"""The tabular example: its CSV (reproducible from scikit-learn's copy of the data), the reader,
and the whole run from CSV to report."""

import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sklearn")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
tabular = pytest.importorskip("tabular")


def test_shipped_csv_is_what_make_csv_writes(tmp_path):
    tabular.make_csv(tmp_path / "again.csv")
    assert (tmp_path / "again.csv").read_bytes() == tabular.CSV.read_bytes()


def test_read_csv_gives_floats_strings_and_gaps():
    from sklearn.datasets import load_breast_cancer

    X, y, columns = tabular.read_csv()
    assert X.shape == (569, 32) and columns[-2:] == ["size", "clinic"]
    assert sorted(set(y.tolist())) == ["benign", "malignant"] and (y == "malignant").sum() == 212
    assert 0.04 < tabular.missing_share(X) < 0.06
    sizes = {v for v in X[:, -2] if isinstance(v, str)}
    assert sizes == {"small", "medium", "large"}
    numbers = X[:, :30].astype(float)
    present = ~np.isnan(numbers)
    np.testing.assert_allclose(numbers[present], load_breast_cancer().data[present], rtol=1e-5)


def test_main_trains_and_reports(capsys):
    tabular.main()
    out = capsys.readouterr().out
    assert "precision    recall  f1-score   support" in out
    assert "malignant" in out and "benign" in out
    accuracy = float(out.split("test accuracy ")[1].split(",")[0])
    auc = float(out.split("ROC AUC ")[1].split()[0])
    assert accuracy > 0.95 and auc > 0.98


def test_pipeline_one_hot_encodes_the_categories():
    X, y, columns = tabular.read_csv()
    pipeline = tabular.make_pipeline(columns, epochs=2).fit(X[:200], y[:200])
    features = pipeline.named_steps["preprocess"].transform(X[:5])
    assert features.shape == (5, 30 + 3 + 3)  # 30 numbers, 3 sizes, 3 clinics
    assert not np.isnan(features).any()
    assert pipeline.named_steps["net"].n_features_in_ == 36
