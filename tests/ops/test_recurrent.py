"""simple_rnn, lstm, gru and their cells: a NumPy reference of the equations (masks, recurrent
masks, every activation, both GRU variants), float64 gradient checks, PyTorch reference outputs
and gradients, and argument errors."""

import os

import numpy as np
import pytest

import lamina
from lamina.autograd.grad_mode import no_grad
from lamina.ops.recurrent import (
    ACTIVATIONS,
    GRUSequence,
    LSTMSequence,
    gru,
    gru_cell,
    lstm,
    lstm_cell,
    simple_rnn,
    simple_rnn_cell,
)
from lamina.testing import check_gradients

FIXTURE = np.load(os.path.join(os.path.dirname(__file__), "..", "fixtures", "recurrent.npz"))
GATES = {"simple_rnn": 1, "lstm": 4, "gru": 3, "gru_v1": 3}  # gru_v1: reset_after=False
# row 0: a gap in the middle and trailing padding; row 1: all valid; row 2: a leading gap
MASK = np.array([[1, 0, 1, 0], [1, 1, 1, 1], [0, 1, 1, 0]], dtype=bool)


# ----- a direct NumPy transcription of the documented equations -----
def _act(name):
    return {
        "tanh": np.tanh,
        "sigmoid": lambda v: 1 / (1 + np.exp(-v)),
        "relu": lambda v: np.maximum(v, 0),
        "linear": lambda v: v,
        "hard_sigmoid": lambda v: np.clip(v / 6 + 0.5, 0, 1),
    }[name]


def reference(kind, x, h0, c0, kernel, rkernel, b, act="tanh", rec="sigmoid", **masks):
    """(outputs, final h, final c), step by step as documented; ``masks``: ``mask``,
    ``rmask``, ``zero_output``."""
    f, s = _act(act), _act(rec)
    W, R = kernel, rkernel
    B, T, _ = x.shape
    U = R.shape[0]
    h, c = h0.copy(), None if c0 is None else c0.copy()
    rmask, mask = masks.get("rmask"), masks.get("mask")
    rm = np.ones((B, U)) if rmask is None else rmask
    mask = np.ones((B, T), bool) if mask is None else mask
    outs = []
    for t in range(T):
        xt, hm = x[:, t], h * rm
        cn = None
        if kind == "simple_rnn":
            hn = f(xt @ W + hm @ R + b)
        elif kind == "lstm":
            i, fg, g, o = np.split(xt @ W + hm @ R + b, 4, axis=1)
            cn = s(fg) * c + s(i) * f(g)
            hn = s(o) * f(cn)
        elif kind == "gru":  # reset_after=True, bias rows [input, recurrent]
            xz, hr = xt @ W + b[0], hm @ R + b[1]
            z = s(xz[:, :U] + hr[:, :U])
            r = s(xz[:, U : 2 * U] + hr[:, U : 2 * U])
            hn = z * h + (1 - z) * f(xz[:, 2 * U :] + r * hr[:, 2 * U :])
        else:  # gru_v1: reset_after=False
            xz, hr = xt @ W + b, hm @ R[:, : 2 * U]
            z = s(xz[:, :U] + hr[:, :U])
            r = s(xz[:, U : 2 * U] + hr[:, U:])
            hn = z * h + (1 - z) * f(xz[:, 2 * U :] + (r * hm) @ R[:, 2 * U :])
        m = mask[:, t : t + 1]
        h = np.where(m, hn, h)
        c = None if c is None else np.where(m, cn, c)
        outs.append(np.where(m, h, 0) if masks.get("zero_output") else h)
    return np.stack(outs, axis=1), h, c


def _weights(kind, rng, size=(3, 4, 3, 2)):
    B, T, F, U = size
    g = GATES[kind]
    return {
        "x": rng.normal(size=(B, T, F)),
        "h0": rng.normal(0, 0.5, size=(B, U)),
        "c0": rng.normal(0, 0.5, size=(B, U)) if kind == "lstm" else None,
        "kernel": rng.normal(0, 0.6, size=(F, g * U)),
        "recurrent_kernel": rng.normal(0, 0.6, size=(U, g * U)),
        "bias": rng.normal(0, 0.3, size=(2, g * U) if kind == "gru" else (g * U,)),
    }


def _run(kind, w, *, act="tanh", rec="sigmoid", **kw):
    """The op for ``kind`` on the arrays or tensors in ``w``: (outputs, final h, final c)."""
    args = (w["x"], w["h0"])
    weights = (w["kernel"], w["recurrent_kernel"], w["bias"])
    if kind == "simple_rnn":
        out, h = simple_rnn(*args, *weights, activation=act, return_state=True, **kw)
        return out, h, None
    if kind == "lstm":
        acts = {"activation": act, "recurrent_activation": rec}
        return lstm(*args, w["c0"], *weights, **acts, return_state=True, **kw)
    acts = {"activation": act, "recurrent_activation": rec, "reset_after": kind == "gru"}
    out, h = gru(*args, *weights, **acts, return_state=True, **kw)
    return out, h, None


def _inputs(kind):
    names = ["x", "h0", "c0", "kernel", "recurrent_kernel", "bias"]
    return [n for n in names if not (n == "c0" and kind != "lstm")]


def _flat(kind, **kw):
    """fn(*inputs) -> one tensor holding the outputs and the final states, for check_gradients."""
    names = _inputs(kind)

    def fn(*tensors):
        out, h, c = _run(kind, dict(zip(names, tensors)), **kw)
        parts = [out.reshape(out.shape[0], -1), h] + ([] if c is None else [c])
        return lamina.ops.concatenate(parts, axis=1)

    return fn, names


KINDS = ["simple_rnn", "lstm", "gru", "gru_v1"]
ACT_PAIRS = [  # (activation, recurrent_activation): the fused tanh path and the generic one
    ("tanh", "sigmoid"),
    ("sigmoid", "tanh"),
    ("relu", "hard_sigmoid"),
    ("linear", "linear"),
    ("hard_sigmoid", "relu"),
]


# ----- forward semantics against the reference (float64) -----
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("act, rec", ACT_PAIRS)
def test_matches_reference_for_every_activation(kind, act, rec, rng):
    w = _weights(kind, rng)
    out, h, c = _run(kind, w, act=act, rec=rec)
    ref = reference(kind, *w.values(), act, rec)
    np.testing.assert_allclose(out.numpy(), ref[0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(h.numpy(), ref[1], rtol=1e-12, atol=1e-12)
    if c is not None:
        np.testing.assert_allclose(c.numpy(), ref[2], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("zero_output", [False, True])
@pytest.mark.parametrize("with_rmask", [False, True])
def test_matches_reference_with_masks(kind, zero_output, with_rmask, rng):
    w = _weights(kind, rng)
    rmask = rng.uniform(0, 2, size=w["h0"].shape) * (rng.random(w["h0"].shape) > 0.3)
    rmask = rmask if with_rmask else None
    out, h, c = _run(kind, w, mask=MASK, recurrent_mask=rmask, zero_output_for_mask=zero_output)
    ref = reference(kind, *w.values(), mask=MASK, rmask=rmask, zero_output=zero_output)
    for got, want in zip((out, h, c), ref):
        if want is not None:
            np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-12)


def test_masked_steps_carry_the_state(rng):
    w = _weights("lstm", rng)
    out, h, c = _run("lstm", w, mask=MASK)
    out = out.numpy()
    np.testing.assert_array_equal(out[0, 1], out[0, 0])  # the gap repeats the last output
    np.testing.assert_array_equal(out[0, 3], out[0, 2])
    np.testing.assert_array_equal(out[2, 0], w["h0"][2])  # a leading gap outputs h0
    np.testing.assert_array_equal(h.numpy()[0], out[0, 2])  # the final state: last valid step
    zeroed, h_z, c_z = _run("lstm", w, mask=MASK, zero_output_for_mask=True)
    np.testing.assert_array_equal(zeroed.numpy()[~MASK], 0)
    np.testing.assert_array_equal(zeroed.numpy()[MASK], out[MASK])
    np.testing.assert_array_equal(h_z.numpy(), h.numpy())  # the state still carries over
    np.testing.assert_array_equal(c_z.numpy(), c.numpy())
    assert np.all(h_z.numpy()[0] != zeroed.numpy()[0, -1])


@pytest.mark.parametrize("kind", KINDS)
def test_all_true_mask_tensor_and_unit_recurrent_mask_change_nothing(kind, rng):
    w = _weights(kind, rng)
    plain = _run(kind, w)[0].numpy()
    ones = np.ones(w["x"].shape[:2], bool)
    masked = _run(kind, w, mask=lamina.Tensor(ones), recurrent_mask=np.ones(w["h0"].shape))
    np.testing.assert_array_equal(masked[0].numpy(), plain)
    partial = _run(kind, w, mask=lamina.Tensor(MASK))[0].numpy()
    assert not np.allclose(partial, plain)


def test_zero_recurrent_mask_cuts_the_recurrence(rng):
    w = _weights("gru", rng)
    cut = _run("gru", w, recurrent_mask=np.zeros_like(w["h0"]))[0].numpy()
    no_rec = dict(w, recurrent_kernel=np.zeros_like(w["recurrent_kernel"]))
    np.testing.assert_allclose(cut, _run("gru", no_rec)[0].numpy(), rtol=1e-12, atol=1e-12)


# ----- gradients (float64 central differences, every input, final states included) -----
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("act, rec", ACT_PAIRS)
def test_gradients_for_every_activation(kind, act, rec, rng):
    w = _weights(kind, rng, size=(2, 3, 2, 2))
    fn, names = _flat(kind, act=act, rec=rec)
    assert check_gradients(fn, *[w[n] for n in names])


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("zero_output", [False, True])
def test_gradients_with_masks(kind, zero_output, rng):
    w = _weights(kind, rng)
    rmask = rng.uniform(0.5, 2, size=w["h0"].shape)
    kw = {"mask": MASK, "recurrent_mask": rmask, "zero_output_for_mask": zero_output}
    fn, names = _flat(kind, **kw)
    assert check_gradients(fn, *[w[n] for n in names])


def test_gradients_without_bias_or_initial_state(rng):
    w = _weights("lstm", rng, size=(2, 3, 2, 2))

    def fn(x, kernel, recurrent_kernel):
        return lstm(x, None, None, kernel, recurrent_kernel)[0]

    assert check_gradients(fn, w["x"], w["kernel"], w["recurrent_kernel"])
    w = _weights("gru", rng, size=(2, 3, 2, 2))
    assert check_gradients(
        lambda x, k, r: gru(x, None, k, r), w["x"], w["kernel"], w["recurrent_kernel"]
    )


# ----- cells -----
def _cell(kind, w, x_t, rmask=None, act="tanh", rec="sigmoid"):
    weights = (w["kernel"], w["recurrent_kernel"], w["bias"])
    if kind == "simple_rnn":
        return simple_rnn_cell(x_t, w["h0"], *weights, act, recurrent_mask=rmask), None
    if kind == "lstm":
        return lstm_cell(x_t, w["h0"], w["c0"], *weights, act, rec, recurrent_mask=rmask)
    h = gru_cell(x_t, w["h0"], *weights, kind == "gru", act, rec, recurrent_mask=rmask)
    return h, None


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("act, rec", [("tanh", "sigmoid"), ("relu", "hard_sigmoid")])
def test_cell_is_one_step_of_the_sequence(kind, act, rec, rng):
    w = _weights(kind, rng)
    rmask = rng.uniform(0.5, 2, size=w["h0"].shape)
    h, c = _cell(kind, w, w["x"][:, 0], rmask, act, rec)
    first = dict(w, x=w["x"][:, :1])
    out, h_seq, c_seq = _run(kind, first, act=act, rec=rec, recurrent_mask=rmask)
    np.testing.assert_allclose(h.numpy(), out.numpy()[:, 0], rtol=1e-12, atol=1e-12)
    if c is not None:
        np.testing.assert_allclose(c.numpy(), c_seq.numpy(), rtol=1e-12, atol=1e-12)
    ref = reference(kind, *first.values(), act, rec, rmask=rmask)
    np.testing.assert_allclose(h.numpy(), ref[1], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind", KINDS)
def test_cell_gradients(kind, rng):
    w = _weights(kind, rng)
    rmask = rng.uniform(0.5, 2, size=w["h0"].shape)
    names = _inputs(kind)

    def fn(*tensors):
        h, c = _cell(kind, dict(zip(names, tensors)), tensors[0], rmask)
        return h if c is None else lamina.ops.concatenate([h, c * 0.7], axis=1)

    w["x"] = w["x"][:, 0]
    assert check_gradients(fn, *[w[n] for n in names])


# ----- PyTorch references (float64 from float32 inputs; and float32) -----
def _fixture(name):
    return {k.split("/", 1)[1]: FIXTURE[k] for k in FIXTURE.files if k.startswith(name + "/")}


@pytest.mark.parametrize("dtype, tol", [("float64", 1e-9), ("float32", 2e-5)])
@pytest.mark.parametrize(
    "name", ["simple_rnn", "lstm", "gru", "simple_rnn_masked", "lstm_masked", "gru_masked"]
)
def test_matches_torch(name, dtype, tol):
    f = _fixture(name)
    kind = name.removesuffix("_masked")
    names = _inputs(kind)
    tensors = {n: lamina.Tensor(f[n].astype(dtype), requires_grad=True) for n in names}
    kw = {"mask": f["mask"], "zero_output_for_mask": True} if "mask" in f else {}
    out, h, c = _run(kind, dict(tensors, c0=tensors.get("c0")), **kw)
    assert out.dtype == dtype and h.dtype == dtype
    loss = (out * f["w"].astype(dtype)).sum() + (h * f["w_h"].astype(dtype)).sum()
    if c is not None:
        loss = loss + (c * f["w_c"].astype(dtype)).sum()
        np.testing.assert_allclose(c.numpy(), f["c_last"], rtol=tol, atol=tol)
    loss.backward()
    np.testing.assert_allclose(out.numpy(), f["out"], rtol=tol, atol=tol)
    np.testing.assert_allclose(h.numpy(), f["h_last"], rtol=tol, atol=tol)
    for n, t in tensors.items():
        assert t.grad.dtype == dtype
        np.testing.assert_allclose(t.grad, f[f"grad_{n}"], rtol=5 * tol, atol=5 * tol, err_msg=n)


# ----- structure, dtypes, stability -----
def test_one_node_per_sequence_and_float32_kept(rng):
    w = {
        k: None if v is None else lamina.Tensor(v.astype(np.float32), requires_grad=True)
        for k, v in _weights("lstm", rng).items()
    }
    h_seq, c_last = lstm(w["x"], w["h0"], w["c0"], w["kernel"], w["recurrent_kernel"], w["bias"])
    (node_out,) = h_seq._node.inputs  # h_seq and c_last slice the one LSTM node's output
    assert isinstance(node_out._node, LSTMSequence) and c_last._node.inputs[0] is node_out
    assert all(t is w[k] for t, k in zip(node_out._node.inputs, _inputs("lstm")))
    assert h_seq.dtype == np.float32 and c_last.dtype == np.float32
    (h_seq.sum() + c_last.sum()).backward()
    assert all(w[k].grad.dtype == np.float32 for k in _inputs("lstm"))
    x = lamina.Tensor(w["x"].numpy())
    out = gru(x, None, w["kernel"][:, :6], w["recurrent_kernel"][:, :6], None)
    assert isinstance(out._node.inputs[0]._node, GRUSequence)


def test_no_graph_under_no_grad(rng):
    w = _weights("simple_rnn", rng)
    k = lamina.Tensor(w["kernel"], requires_grad=True)
    with no_grad():
        out = simple_rnn(w["x"], None, k, w["recurrent_kernel"])
    assert not out.requires_grad


@pytest.mark.parametrize("kind", KINDS)
def test_saturated_gates_stay_finite_without_warnings(kind, rng):
    w = _weights(kind, rng)
    w["x"] = w["x"] * 1000  # RuntimeWarnings are errors in this suite
    out, h, c = _run(kind, w, act="tanh", rec="sigmoid")
    assert np.all(np.isfinite(out.numpy())) and np.all(np.isfinite(h.numpy()))
    assert np.all(np.abs(out.numpy()[:, 1:]) <= np.maximum(1, np.abs(w["h0"]).max()))


def test_activation_given_as_a_function(rng):
    w = _weights("simple_rnn", rng)
    by_name = simple_rnn(w["x"], None, w["kernel"], w["recurrent_kernel"], activation="relu")
    by_fn = simple_rnn(w["x"], None, w["kernel"], w["recurrent_kernel"], activation=lamina.ops.relu)
    np.testing.assert_array_equal(by_fn.numpy(), by_name.numpy())
    linear = simple_rnn(w["x"], None, w["kernel"], w["recurrent_kernel"], activation=None)
    ref = reference("simple_rnn", *dict(w, h0=np.zeros_like(w["h0"]), bias=0).values(), "linear")
    np.testing.assert_allclose(linear.numpy(), ref[0], rtol=1e-12)
    assert set(ACTIVATIONS) == {"tanh", "sigmoid", "hard_sigmoid", "relu", "linear"}


# ----- errors -----
def test_errors_name_both_shapes():
    x = np.zeros((32, 50, 7), np.float32)
    k, r = np.zeros((8, 256), np.float32), np.zeros((64, 256), np.float32)
    with pytest.raises(
        ValueError,
        match=r"lstm: kernel of shape \(8, 256\) expects 8 input "
        r"features, got x of shape \(32, 50, 7\)",
    ):
        lstm(x, None, None, k, r)
    x = np.zeros((32, 50, 8), np.float32)
    with pytest.raises(ValueError, match=r"recurrent_kernel of shape \(64, 192\) must be"):
        lstm(x, None, None, k, r[:, :192])
    with pytest.raises(ValueError, match=r"kernel of shape \(8, 192\) must be \(features, 256\)"):
        lstm(x, None, None, k[:, :192], r)
    with pytest.raises(ValueError, match=r"bias of shape \(64,\) must be \(256,\)"):
        lstm(x, None, None, k, r, np.zeros(64, np.float32))
    with pytest.raises(ValueError, match=r"c0 of shape \(16, 64\) must be .* \(32, 64\)"):
        lstm(x, None, np.zeros((16, 64), np.float32), k, r)
    with pytest.raises(ValueError, match=r"mask of shape \(32, 49\) must be .* \(32, 50\)"):
        lstm(x, None, None, k, r, mask=np.ones((32, 49), bool))
    with pytest.raises(ValueError, match=r"recurrent_mask of shape \(32, 63\)"):
        lstm(x, None, None, k, r, recurrent_mask=np.ones((32, 63), np.float32))
    with pytest.raises(ValueError, match=r"x must have shape \(batch, time, features\)"):
        lstm(x[0], None, None, k, r)


def test_gru_bias_layout_follows_reset_after():
    x = np.zeros((2, 3, 4))
    k, r = np.zeros((4, 15)), np.zeros((5, 15))
    with pytest.raises(ValueError, match=r"gru: bias of shape \(15,\) must be \(2, 15\)"):
        gru(x, None, k, r, np.zeros(15))
    with pytest.raises(ValueError, match=r"bias of shape \(2, 15\) must be \(15,\)"):
        gru(x, None, k, r, np.zeros((2, 15)), reset_after=False)
    assert gru(x, None, k, r, np.zeros(15), reset_after=False).shape == (2, 3, 5)


def test_cell_errors():
    k, r = np.zeros((3, 8)), np.zeros((2, 8))
    with pytest.raises(ValueError, match=r"lstm_cell: x must have shape \(batch, features\)"):
        lstm_cell(np.zeros((4, 1, 3)), np.zeros((4, 2)), np.zeros((4, 2)), k, r)
    with pytest.raises(ValueError, match=r"simple_rnn_cell: h of shape \(3, 2\) must be"):
        simple_rnn_cell(np.zeros((4, 3)), np.zeros((3, 2)), k[:, :2], r[:, :2])
    with pytest.raises(ValueError, match="gru_cell: unknown recurrent_activation 'softmax'"):
        gru_cell(
            np.zeros((4, 3)),
            np.zeros((4, 2)),
            k[:, :6],
            r[:, :6],
            None,
            recurrent_activation="softmax",
        )


@pytest.mark.parametrize("fn", [simple_rnn, gru])
def test_unknown_activation_lists_the_supported_ones(fn):
    x, h = np.zeros((1, 2, 1)), None
    g = 3 if fn is gru else 1
    with pytest.raises(ValueError, match="unknown activation 'swish'; supported: tanh, sigmoid"):
        fn(x, h, np.zeros((1, g)), np.zeros((1, g)), activation="swish")
