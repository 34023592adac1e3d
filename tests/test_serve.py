"""``lamina serve``: a real server in a subprocess answering urllib requests on localhost, plus
in-process checks of the app and the CLI."""

import contextlib
import http.client
import importlib.util
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import numpy as np
import pytest

import lamina
from lamina import cli, serve
from lamina.layers import Concatenate, Dense, Embedding, Flatten, Input
from lamina.models import Model, Sequential, load_model

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

MAX_BATCH = 16


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _call(url, body=None, method=None):
    """``(status, JSON body)`` of one request; ``body`` is a JSON value, or bytes sent as is."""
    if body is not None and not isinstance(body, bytes):
        body = json.dumps(body).encode()
    headers = {"Content-Type": "application/json"} if body is not None else {}
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@contextlib.contextmanager
def _serving(path, log_path, *options):
    """The base URL of ``lamina serve path`` running in a subprocess, stopped on exit."""
    port = _free_port()
    command = [sys.executable, "-m", "lamina.cli", "serve", str(path), "--port", str(port)]
    with open(log_path, "wb") as log:
        process = subprocess.Popen([*command, *options], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                pytest.fail(f"the server exited with {process.returncode}:\n{log_path.read_text()}")
            with contextlib.suppress(OSError):  # not listening yet
                if _call(url + "/health")[0] == 200:
                    break
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not answer /health in 30 s:\n{log_path.read_text()}")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def mlp_path(tmp_path_factory):
    lamina.seed(0)
    model = Sequential([Dense(8, activation="relu", input_shape=(4,)), Dense(3, "softmax")])
    path = tmp_path_factory.mktemp("mlp") / "mlp.lamina"
    model.save(path)
    return path


@pytest.fixture(scope="module")
def mlp_url(mlp_path):
    with _serving(mlp_path, mlp_path.with_suffix(".log"), "--max-batch-size", str(MAX_BATCH)) as u:
        yield u


@pytest.fixture(scope="module")
def two_input_path(tmp_path_factory):
    lamina.seed(0)
    a, b = Input(shape=(3,), name="a"), Input(shape=(2,), name="b")
    hidden = Concatenate()([Dense(4, activation="tanh")(a), b])
    model = Model([a, b], [Dense(2, name="scores")(hidden), Dense(1, name="value")(hidden)])
    path = tmp_path_factory.mktemp("two") / "two.lamina"
    model.save(path)
    return path


def test_health_and_metadata(mlp_url, mlp_path):
    assert _call(mlp_url + "/health") == (200, {"status": "ok"})
    status, meta = _call(mlp_url + "/metadata")
    assert status == 200
    assert meta["name"] == load_model(mlp_path).name
    assert meta["lamina_version"] == lamina.__version__
    assert meta["model_file"] == "mlp.lamina"
    assert meta["inputs"] == [{"name": None, "shape": [None, 4], "dtype": "float32"}]
    assert meta["outputs"] == [{"name": None, "shape": [None, 3]}]
    assert meta["num_parameters"] == 4 * 8 + 8 + 8 * 3 + 3
    assert meta["max_batch_size"] == MAX_BATCH and meta["max_body_bytes"] == 1 << 20


def test_predictions_equal_model_predict(mlp_url, mlp_path):
    x = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    status, body = _call(mlp_url + "/predict", {"inputs": x.tolist()})
    assert status == 200 and list(body) == ["predictions"]
    expected = load_model(mlp_path).predict(x, verbose=0)
    np.testing.assert_allclose(np.array(body["predictions"]), expected, rtol=0, atol=1e-6)
    status, body = _call(mlp_url + "/predict", {"inputs": [[1, 2, 3, 4]]})  # ints are numbers
    assert status == 200 and np.array(body["predictions"]).shape == (1, 3)


EXPECTED_VS_GOT = (
    "expects samples of shape (4,) (a batch of shape (None, 4)), got a batch of shape (1, 3)"
)
BAD_REQUESTS = [
    (b"{not json", 400, "not valid JSON"),
    (b"\xff\xfe", 400, "not valid JSON"),
    (b"[" * 100_000, 400, "nested too deeply"),
    ([[1, 2, 3, 4]], 422, '{"inputs": [...]}'),
    ({"x": [[1, 2, 3, 4]]}, 422, "got keys ['x']"),
    ({"inputs": [[1, 2, 3, 4]], "extra": 1}, 422, "unknown keys ['extra']"),
    ({"inputs": 3}, 422, "must be a batch"),
    ({"inputs": []}, 422, "empty batch"),
    ({"inputs": [[1, 2, 3, "4"]]}, 422, "numbers, found strings"),
    ({"inputs": [[1, 2, 3, None]]}, 422, "numbers, found null"),
    ({"inputs": [[1, 2, 3, True]]}, 422, "true/false"),
    ({"inputs": [[1, 2, 3, 4], [1, 2]]}, 422, "ragged"),
    ({"inputs": [[1, 2, 3]]}, 422, EXPECTED_VS_GOT),
    ({"inputs": [1, 2, 3, 4]}, 422, "got a batch of shape (4,)"),
    ({"inputs": {"x": [[1, 2, 3, 4]]}}, 422, "input has no name"),
    (b'{"inputs": [[1, 2, 3, NaN]]}', 422, "1 NaN or infinite"),
    (b'{"inputs": [[1, 2, -Infinity, 1e400]]}', 422, "2 NaN or infinite"),
    ({"inputs": [[1, 2, 3, 1e39]]}, 422, "beyond float32's range"),  # finite in JSON
    ({"inputs": [[0, 0, 0, 0]] * (MAX_BATCH + 1)}, 413, f"max_batch_size of {MAX_BATCH}"),
]


@pytest.mark.parametrize("body, status, detail", BAD_REQUESTS)
def test_bad_requests_get_4xx_json_naming_the_problem(mlp_url, body, status, detail):
    got_status, got = _call(mlp_url + "/predict", body)
    assert (got_status, list(got)) == (status, ["detail"])
    assert detail in got["detail"]


def test_body_over_the_limit_is_refused_by_its_length_before_reading(mlp_url):
    connection = http.client.HTTPConnection(mlp_url.removeprefix("http://"), timeout=10)
    try:
        connection.putrequest("POST", "/predict")
        connection.putheader("Content-Length", str(10**9))  # the gigabyte is never sent
        connection.endheaders()
        response = connection.getresponse()
        assert response.status == 413
        assert (
            "larger than this server's limit of 1,048,576 bytes"
            in json.loads(response.read())["detail"]
        )
    finally:
        connection.close()


def test_unknown_route_and_wrong_method(mlp_url):
    assert _call(mlp_url + "/nowhere") == (404, {"detail": "Not Found"})
    assert _call(mlp_url + "/predict") == (405, {"detail": "Method Not Allowed"})
    assert _call(mlp_url + "/health", {"inputs": [[1]]})[0] == 405


def test_several_inputs_as_a_list_or_by_name(two_input_path, tmp_path):
    rng = np.random.default_rng(1)
    a = rng.normal(size=(3, 3)).astype(np.float32)
    b = rng.normal(size=(3, 2)).astype(np.float32)
    scores, value = load_model(two_input_path).predict([a, b], verbose=0)
    with _serving(two_input_path, tmp_path / "server.log") as url:
        meta = _call(url + "/metadata")[1]
        assert [(s["name"], s["shape"]) for s in meta["inputs"]] == [
            ("a", [None, 3]),
            ("b", [None, 2]),
        ]
        assert [s["name"] for s in meta["outputs"]] == ["scores", "value"]
        for inputs in ([a.tolist(), b.tolist()], {"b": b.tolist(), "a": a.tolist()}):
            status, body = _call(url + "/predict", {"inputs": inputs})
            assert status == 200 and sorted(body["predictions"]) == ["scores", "value"]
            np.testing.assert_allclose(body["predictions"]["scores"], scores, rtol=0, atol=1e-6)
            np.testing.assert_allclose(body["predictions"]["value"], value, rtol=0, atol=1e-6)
        for inputs, detail in [
            ({"a": a.tolist()}, "missing ['b']"),
            ([a.tolist()], "2 inputs ['a', 'b']: send a list of 2 batches"),
            ([a.tolist(), b[:2].tolist()], "input 'a' has 3, input 'b' has 2"),
            ([a.tolist(), a.tolist()], "input 'b' expects samples of shape (2,)"),
        ]:
            status, body = _call(url + "/predict", {"inputs": inputs})
            assert status == 422 and detail in body["detail"]


def test_integer_inputs_must_be_whole_numbers():
    tokens = Input(shape=(3,), dtype="int32", name="tokens")
    model = Model(tokens, Dense(2)(Flatten()(Embedding(10, 4)(tokens))))
    predictor = serve.Predictor(model)
    assert predictor.inputs == [{"name": "tokens", "shape": [None, 3], "dtype": "int32"}]
    got = predictor.predict({"inputs": [[1, 2, 9.0]]})["predictions"]
    np.testing.assert_allclose(got, model.predict(np.array([[1, 2, 9]]), verbose=0), atol=1e-6)
    with pytest.raises(serve.ServeError, match="whole numbers") as info:
        predictor.predict({"inputs": [[1, 2, 2.5]]})
    assert info.value.status == 422


def test_cli_serve_says_what_is_wrong(tmp_path, capsys, monkeypatch, mlp_path):
    assert cli.main(["serve", str(tmp_path / "missing.lamina")]) == 1
    assert "no model file at" in capsys.readouterr().err
    (tmp_path / "junk.lamina").write_bytes(b"not a model")
    assert cli.main(["serve", str(tmp_path / "junk.lamina")]) == 1
    assert "could not load a lamina model from" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # as if it were not installed
    assert cli.main(["serve", str(mlp_path)]) == 1
    assert 'pip install "lamina[serve]"' in capsys.readouterr().err


def test_create_app_without_fastapi_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "fastapi", None)
    with pytest.raises(serve.MissingDependencyError, match=r'pip install "lamina\[serve\]"'):
        serve.create_app(Sequential([Dense(1, input_shape=(2,))]))


@pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient` is deprecated")
def test_in_process_app(monkeypatch):
    if not any(importlib.util.find_spec(name) for name in ("httpx2", "httpx")):
        pytest.skip("FastAPI's TestClient needs httpx2 (or httpx)")
    from fastapi.testclient import TestClient

    model = Sequential([Dense(2, input_shape=(3,))])
    client = TestClient(serve.create_app(model, max_body_bytes=1000), raise_server_exceptions=False)
    x = [[1.0, 2.0, 3.0], [0.5, 0.0, -1.0]]
    response = client.post("/predict", json={"inputs": x})
    assert response.status_code == 200
    np.testing.assert_allclose(
        response.json()["predictions"], model.predict(np.array(x), verbose=0)
    )
    chunks = (b" " * 100 for _ in range(20))  # no Content-Length: counted while read
    response = client.post("/predict", content=chunks)
    assert response.status_code == 413 and "limit of 1,000 bytes" in response.json()["detail"]

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in a layer")

    monkeypatch.setattr(model, "predict", broken)
    response = client.post("/predict", json={"inputs": x})
    assert response.status_code == 500
    assert response.json() == {"detail": "internal server error (RuntimeError); see the server log"}
