"""Serve a saved model over HTTP: ``lamina serve model.lamina --port 8000``.

``GET /health`` answers ``{"status": "ok"}``; ``GET /metadata`` describes the model (input and
output shapes, parameter count, limits); ``POST /predict`` takes ``{"inputs": [[...], ...]}``, a
batch of samples as nested lists of numbers, and answers ``{"predictions": [[...], ...]}``.
Requests are checked before the model sees them, and every bad one gets a 4xx JSON
``{"detail": "..."}`` naming the problem. FastAPI and uvicorn are optional
(``pip install "lamina[serve]"``) and imported only when an app is made; the checks need neither:

>>> from lamina.layers import Dense
>>> from lamina.models import Sequential
>>> predictor = Predictor(Sequential([Dense(2, input_shape=(3,))]))
>>> predictor.inputs
[{'name': None, 'shape': [None, 3], 'dtype': 'float32'}]
>>> len(predictor.predict({"inputs": [[1, 2, 3], [4, 5, 6]]})["predictions"])
2
>>> predictor.predict({"inputs": [[1, 2]]})
Traceback (most recent call last):
lamina.serve.ServeError: inputs expects samples of shape (3,) (a batch of shape (None, 3)), \
got a batch of shape (1, 2)
"""

import importlib
import json
import logging
import math
import os
import threading

import numpy as np

import lamina

DEFAULT_MAX_BATCH_SIZE = 1024
_BYTES_PER_NUMBER = 32  # "-0.12345678901234567, " with room to spare
_MIN_BODY_BYTES = 1 << 20
_UNSIZED_BODY_BYTES = 64 << 20  # for inputs with a dimension of any length
_SETTINGS_ENV = "LAMINA_SERVE_SETTINGS"  # how run() hands its settings to uvicorn's workers
_log = logging.getLogger("lamina.serve")


class MissingDependencyError(ImportError):
    """FastAPI or uvicorn is not installed."""


class ServeError(Exception):
    """A request the server refuses, answered with ``status`` and ``{"detail": message}``."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


class Predictor:
    """A model behind a lock, with the request checks and the metadata the server reports.

    ``predict(payload)`` takes the parsed JSON body and returns the response body; bad input
    raises ``ServeError`` with a 4xx status. lamina's layers are not guaranteed thread-safe, so
    one ``predict`` runs at a time; requests are parsed and checked concurrently.
    """

    def __init__(
        self,
        model,
        *,
        max_batch_size: int = DEFAULT_MAX_BATCH_SIZE,
        max_body_bytes: int | None = None,
        model_path=None,
    ):
        self.model = model
        self.max_batch_size = _positive_int(max_batch_size, "max_batch_size")
        self.inputs = _input_specs(model)
        self.outputs = _output_specs(model, self.inputs)
        if max_body_bytes is None:
            max_body_bytes = _default_body_limit(self.inputs, self.max_batch_size)
        self.max_body_bytes = _positive_int(max_body_bytes, "max_body_bytes")
        self.model_file = os.path.basename(os.fspath(model_path)) if model_path else None
        self._lock = threading.Lock()

    def metadata(self) -> dict:
        """What ``GET /metadata`` answers."""
        return {
            "name": getattr(self.model, "name", None),
            "lamina_version": lamina.__version__,
            "model_file": self.model_file,
            "inputs": self.inputs,
            "outputs": self.outputs,
            "num_parameters": _count_params(self.model),
            "max_batch_size": self.max_batch_size,
            "max_body_bytes": self.max_body_bytes,
        }

    def predict(self, payload) -> dict:
        """``{"predictions": ...}`` for a request body ``{"inputs": ...}`` (parsed JSON)."""
        arrays = self.parse(payload)
        x = arrays[0] if len(arrays) == 1 else arrays
        with self._lock:
            try:
                outputs = self.model.predict(x, batch_size=len(arrays[0]), verbose=0)
            except ValueError as exc:  # the model's own input checks (shapes we could not know)
                raise ServeError(422, f"the model refused the inputs: {exc}") from None
        if isinstance(outputs, (list, tuple)):
            names = [spec["name"] for spec in self.outputs]
            if len(names) == len(outputs) and None not in names and len(set(names)) == len(names):
                return {"predictions": {n: _as_lists(o) for n, o in zip(names, outputs)}}
            return {"predictions": [_as_lists(o) for o in outputs]}
        return {"predictions": _as_lists(outputs)}

    def parse(self, payload) -> list[np.ndarray]:
        """The request's inputs as checked arrays, one per model input."""
        if not isinstance(payload, dict) or "inputs" not in payload:
            got = f"keys {sorted(payload)}" if isinstance(payload, dict) else _json_type(payload)
            raise ServeError(
                422, f'the request body must be a JSON object {{"inputs": [...]}}, got {got}'
            )
        unknown = sorted(set(payload) - {"inputs"})
        if unknown:
            raise ServeError(422, f'unknown keys {unknown}: the body holds only "inputs"')
        raws = self._split(payload["inputs"])
        arrays = [
            _as_batch(raw, _what(spec, len(self.inputs)), spec, self.max_batch_size)
            for raw, spec in zip(raws, self.inputs)
        ]
        sizes = {len(a) for a in arrays}
        if len(sizes) > 1:
            detail = ", ".join(f"{_what(s, 2)} has {len(a)}" for s, a in zip(self.inputs, arrays))
            raise ServeError(422, f"every input needs the same number of samples: {detail}")
        return arrays

    def _split(self, inputs) -> list:
        """One raw batch per model input, from a batch, a list of batches or a dict by name."""
        names = [spec["name"] for spec in self.inputs]
        if isinstance(inputs, dict):
            if None in names:
                raise ServeError(422, 'this model\'s input has no name: send {"inputs": [...]}')
            missing = [n for n in names if n not in inputs]
            unknown = sorted(set(inputs) - set(names))
            if missing or unknown:
                found = {"missing": missing, "unknown": unknown}
                detail = ", ".join(f"{k} {v}" for k, v in found.items() if v)
                raise ServeError(422, f"inputs by name must be exactly {names}: {detail}")
            return [inputs[n] for n in names]
        if len(names) == 1:
            return [inputs]
        if not isinstance(inputs, list) or len(inputs) != len(names):
            got = f"a list of {len(inputs)}" if isinstance(inputs, list) else _json_type(inputs)
            raise ServeError(
                422,
                f"this model has {len(names)} inputs {names}: send a list of "
                f"{len(names)} batches or a dict by input name, got {got}",
            )
        return inputs


def parse_body(body: bytes):
    """The JSON value of a request body (``ServeError`` 400 when it is not JSON)."""
    try:
        payload = json.loads(body)
    except RecursionError:
        raise ServeError(400, "the request body is nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise ServeError(400, f"the request body is not valid JSON: {exc}") from None
    # NumPy reads true/false among numbers as 1/0; walk the payload only when they may be there.
    if (b"true" in body or b"false" in body) and _contains_bool(payload):
        raise ServeError(422, "inputs must be numbers, got true/false")
    return payload


def create_app(
    model,
    *,
    max_batch_size: int = DEFAULT_MAX_BATCH_SIZE,
    model_path=None,
    max_body_bytes: int | None = None,
):
    """A FastAPI app serving ``model`` (``/health``, ``/metadata``, ``/predict``).

    ``max_body_bytes`` defaults to room for ``max_batch_size`` samples at 32 bytes a number
    (at least 1 MiB; 64 MiB when an input has a dimension of any length).
    """
    fastapi = _require("fastapi")
    from starlette.concurrency import run_in_threadpool

    predictor = Predictor(
        model, max_batch_size=max_batch_size, max_body_bytes=max_body_bytes, model_path=model_path
    )
    app = fastapi.FastAPI(
        title=f"lamina: {predictor.metadata()['name']}",
        version=lamina.__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.predictor = predictor

    @app.exception_handler(ServeError)
    async def _refused(request, exc: ServeError):
        return fastapi.responses.JSONResponse({"detail": exc.message}, status_code=exc.status)

    @app.exception_handler(Exception)
    async def _failed(request, exc: Exception):  # uvicorn logs the traceback; it is never sent
        return fastapi.responses.JSONResponse(
            {"detail": f"internal server error ({type(exc).__name__}); see the server log"},
            status_code=500,
        )

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok"}

    @app.get("/metadata")
    def metadata() -> dict:
        return predictor.metadata()

    @app.post("/predict")
    async def predict(request: fastapi.Request):
        body = await _read_body(request, predictor.max_body_bytes)
        return await run_in_threadpool(lambda: predictor.predict(parse_body(body)))

    return app


def run(
    path,
    host: str = "127.0.0.1",
    port: int = 8000,
    max_batch_size: int = DEFAULT_MAX_BATCH_SIZE,
    workers: int = 1,
    max_body_bytes: int | None = None,
) -> None:
    """Load the model at ``path`` with ``lamina.models.load_model`` and serve it with uvicorn
    until interrupted. ``workers`` > 1 starts that many processes, each with its own model."""
    uvicorn = _require("uvicorn")
    _require("fastapi")
    workers = _positive_int(workers, "workers")
    if not isinstance(port, int) or not 0 <= port <= 65535:
        raise ValueError(f"port must be an integer from 0 to 65535, got {port!r}")
    settings = {
        "path": os.path.abspath(os.fspath(path)),
        "max_batch_size": max_batch_size,
        "max_body_bytes": max_body_bytes,
    }
    app = _app_from_settings(settings)  # also in the parent process, to fail early and clearly
    predictor = app.state.predictor
    print(
        f"lamina {lamina.__version__}: serving model {predictor.metadata()['name']!r} from "
        f"{settings['path']} on http://{host}:{port} (max batch {predictor.max_batch_size}, "
        f"{workers} worker{'s' if workers > 1 else ''})",
        flush=True,
    )
    if workers == 1:
        uvicorn.run(app, host=host, port=port)
        return
    os.environ[_SETTINGS_ENV] = json.dumps(settings)  # the workers are fresh interpreters
    uvicorn.run(
        "lamina.serve:_app_from_environment", factory=True, host=host, port=port, workers=workers
    )


def _load_model(path):
    """The model at ``path``, or a ``ValueError`` naming the file and what went wrong."""
    from lamina.models import load_model

    if not os.path.exists(path):
        raise FileNotFoundError(f"no model file at {path}")
    try:
        return load_model(path)
    except Exception as exc:  # whatever the format raises, say which file and why
        raise ValueError(f"could not load a lamina model from {path}: {exc}") from exc


def _app_from_settings(settings: dict):
    return create_app(
        _load_model(settings["path"]),
        max_batch_size=settings["max_batch_size"],
        max_body_bytes=settings["max_body_bytes"],
        model_path=settings["path"],
    )


def _app_from_environment():
    """The app factory each uvicorn worker process calls."""
    return _app_from_settings(json.loads(os.environ[_SETTINGS_ENV]))


async def _read_body(request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it is known to exceed ``limit`` bytes."""
    too_large = f"the request body is larger than this server's limit of {limit:,} bytes"
    length = request.headers.get("content-length")
    if length is not None:
        if not length.strip().isdigit():
            raise ServeError(400, f"Content-Length must be a number of bytes, got {length!r}")
        if int(length) > limit:
            raise ServeError(413, too_large)
    chunks, size = [], 0
    async for chunk in request.stream():  # also bounds chunked bodies, which have no length
        size += len(chunk)
        if size > limit:
            raise ServeError(413, too_large)
        chunks.append(chunk)
    return b"".join(chunks)


def _as_batch(raw, what: str, spec: dict, max_batch_size: int) -> np.ndarray:
    """One input's batch as a checked array of the input's dtype."""
    if not isinstance(raw, list):
        raise ServeError(422, f"{what} must be a batch (a list of samples), got {_json_type(raw)}")
    if not raw:
        raise ServeError(422, f"{what} is an empty batch: send at least one sample")
    if len(raw) > max_batch_size:
        raise ServeError(
            413,
            f"{what} has {len(raw)} samples, more than this server's max_batch_size of "
            f"{max_batch_size}: split the batch",
        )
    try:
        array = np.asarray(raw)
    except ValueError:
        raise ServeError(
            422,
            f"{what} is ragged: every sample, and every list within one, must have the "
            "same length as its siblings",
        ) from None
    if array.dtype.kind not in "iuf":
        found = "strings" if array.dtype.kind == "U" else "null, objects or out-of-range integers"
        raise ServeError(422, f"{what} must be nested lists of numbers, found {found}")
    dtype = np.dtype(spec["dtype"])
    if dtype.kind in "iu":  # e.g. token ids for an Embedding
        if array.dtype.kind == "f":
            _check_finite(array, what)
            if not (array == np.round(array)).all():
                raise ServeError(
                    422, f"{what} must be whole numbers (the input's dtype is {dtype})"
                )
    else:
        with np.errstate(over="ignore"):  # beyond float32's range becomes inf, refused next
            array = array.astype(dtype if dtype.kind == "f" else np.float32)
        _check_finite(array, what)
    array = array.astype(dtype, copy=False)
    _check_shape(array.shape, spec["shape"], what)
    return array


def _check_shape(got: tuple, expected: list | None, what: str) -> None:
    if expected is None:  # unknown until the model runs: the model checks it
        return
    ok = len(got) == len(expected) and all(e is None or e == g for e, g in zip(expected, got))
    if not ok:
        sample = tuple(expected[1:])
        raise ServeError(
            422,
            f"{what} expects samples of shape {sample} (a batch of shape "
            f"{tuple(expected)}), got a batch of shape {got}",
        )


def _check_finite(array: np.ndarray, what: str) -> None:
    finite = np.isfinite(array)
    if not finite.all():
        raise ServeError(
            422,
            f"{what} contains {int(finite.size - finite.sum())} NaN or infinite values "
            "(JSON NaN/Infinity, or numbers beyond float32's range)",
        )


def _as_lists(output) -> list:
    output = np.asarray(output)
    if output.dtype.kind == "f" and not np.isfinite(output).all():
        raise ServeError(500, "the model produced NaN or infinite predictions")
    return output.tolist()


def _contains_bool(value) -> bool:
    stack = [value]
    while stack:
        value = stack.pop()
        if isinstance(value, bool):
            return True
        if isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, dict):
            stack.extend(value.values())
    return False


def _input_specs(model) -> list[dict]:
    """Name, shape (``None`` for the batch) and dtype of each input; shape ``None`` if unknown."""
    symbols = getattr(model, "inputs", None)
    named = bool(getattr(model, "input_names", None))  # a Sequential's Input name is automatic
    if symbols:
        return [
            {
                "name": getattr(t, "name", None) if named else None,
                "shape": _shape(getattr(t, "shape", None)),
                "dtype": _dtype_name(getattr(t, "dtype", None)),
            }
            for t in symbols
        ]
    shape = _shape(getattr(model, "_batch_input_shape", None))
    return [{"name": None, "shape": shape, "dtype": _dtype_name(getattr(model, "dtype", None))}]


def _output_specs(model, inputs: list[dict]) -> list[dict]:
    names = list(getattr(model, "output_names", None) or [])
    symbols = getattr(model, "outputs", None)
    if symbols:
        shapes = [getattr(t, "shape", None) for t in symbols]
    else:
        shapes = [None]
        if len(inputs) == 1 and inputs[0]["shape"] is not None:
            try:  # metadata only: a model that cannot tell reports null
                shape = model.compute_output_shape(tuple(inputs[0]["shape"]))
                multiple = isinstance(shape, list) and all(isinstance(s, tuple) for s in shape)
                shapes = list(shape) if multiple else [shape]
            except Exception:
                _log.info("could not compute the output shape of %s", getattr(model, "name", ""))
    if len(names) != len(shapes):
        names = [None] * len(shapes)
    return [{"name": n, "shape": _shape(s)} for n, s in zip(names, shapes)]


def _dtype_name(dtype) -> str:
    """A NumPy dtype name; lamina's float type for none or a name NumPy does not know."""
    try:
        return np.dtype(dtype).name if dtype is not None else lamina.floatx()
    except TypeError:
        return lamina.floatx()


def _shape(shape) -> list | None:
    if shape is None:
        return None
    try:
        return [None if s is None else int(s) for s in shape]
    except (TypeError, ValueError):
        return None


def _default_body_limit(inputs: list[dict], max_batch_size: int) -> int:
    if any(spec["shape"] is None or None in spec["shape"][1:] for spec in inputs):
        return _UNSIZED_BODY_BYTES
    numbers = sum(math.prod(spec["shape"][1:]) for spec in inputs)
    return max(_MIN_BODY_BYTES, _BYTES_PER_NUMBER * numbers * max_batch_size + (64 << 10))


def _count_params(model) -> int | None:
    count = getattr(model, "count_params", None)
    try:
        return int(count()) if count else None
    except Exception:  # an unbuilt model has no weights to count yet
        return None


def _what(spec: dict, n_inputs: int) -> str:
    return "inputs" if n_inputs == 1 else f"input {spec['name']!r}"


def _json_type(value) -> str:
    kinds = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    return kinds.get(type(value), "a number")


def _positive_int(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{what} must be a positive integer, got {value!r}")
    return int(value)


def _require(module: str):
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(
            f'lamina serve needs FastAPI and uvicorn ({exc}): pip install "lamina[serve]"'
        ) from None
