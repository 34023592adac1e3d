"""The base class: arguments, learning rate, clipping, binding styles, config and state."""

import numpy as np
import pytest

import lamina
from lamina import optimizers
from lamina.optimizers import (
    SGD,
    Adadelta,
    Adagrad,
    Adam,
    Adamax,
    AdamW,
    Ftrl,
    Lion,
    Nadam,
    Optimizer,
    RMSprop,
)
from lamina.optimizers.schedules import ExponentialDecay, LearningRateSchedule

ALL = [
    lambda: SGD(0.1),
    lambda: SGD(0.1, momentum=0.9, nesterov=True),
    lambda: RMSprop(0.01, momentum=0.5, centered=True),
    lambda: Adam(0.01, amsgrad=True),
    lambda: AdamW(0.01, weight_decay=0.1),
    lambda: Adagrad(0.1),
    lambda: Nadam(0.01),
    lambda: Adamax(0.01),
    lambda: Adadelta(1.0),
    lambda: Lion(0.01, weight_decay=0.1),
    lambda: Ftrl(0.1, l1_regularization_strength=0.01, l2_shrinkage_regularization_strength=0.1),
    lambda: Adam(0.01, use_ema=True, ema_overwrite_frequency=2, gradient_accumulation_steps=2),
]
IDS = ["sgd", "nesterov", "rmsprop", "amsgrad", "adamw", "adagrad", "nadam", "adamax", "adadelta",
       "lion", "ftrl", "ema_accumulation"]  # fmt: skip


def make_params(seed=0):
    rng = np.random.default_rng(seed)
    return [
        lamina.tensor(rng.normal(size=(4, 3)).astype(np.float32), requires_grad=True),
        lamina.tensor(rng.normal(size=(3,)).astype(np.float32), requires_grad=True),
    ]


def grads_for(params):
    return [(0.5 * p.data + 0.3).astype(np.float32) for p in params]


# ----- arguments -----
def test_learning_rate_must_be_non_negative():
    with pytest.raises(ValueError, match=r"^learning_rate must be a number >= 0, got -1$"):
        SGD(learning_rate=-1)
    with pytest.raises(ValueError, match="learning_rate must be a number >= 0, got 'fast'"):
        Adam("fast")
    opt = Adam()
    with pytest.raises(ValueError, match="learning_rate must be a number >= 0"):
        opt.learning_rate = -0.5
    # 0 is accepted, as in Keras (a cosine schedule ends there): the weights do not move
    w = lamina.tensor([1.0, 2.0], requires_grad=True)
    SGD(0.0).apply([np.ones(2, np.float32)], [w])
    Adam(lr=0).apply([np.ones(2, np.float32)], [w])
    np.testing.assert_array_equal(w.numpy(), [1.0, 2.0])


def test_clipping_arguments():
    with pytest.raises(ValueError, match="clipnorm must be positive, got 0"):
        SGD(clipnorm=0)
    with pytest.raises(ValueError, match="only one of clipnorm, clipvalue and global_clipnorm"):
        SGD(clipnorm=1.0, clipvalue=1.0)


def test_unknown_keyword_is_an_error():
    with pytest.raises(
        TypeError, match=r"Adam\(\) got unexpected keyword argument\(s\) \['bet1'\]"
    ):
        Adam(bet1=0.9)


def test_lr_alias_and_learning_rate_property():
    opt = SGD(lr=0.5)
    assert opt.learning_rate == 0.5 and opt.lr == 0.5
    opt.learning_rate = 0.25
    assert opt.get_config()["learning_rate"] == 0.25


# ----- the learning rate -----
class CountingSchedule(LearningRateSchedule):
    def __init__(self):
        self.calls = []

    def __call__(self, step):
        self.calls.append(step)
        return 0.1 / (step + 1)

    def get_config(self):
        return {}


def test_schedule_is_evaluated_once_per_step_with_the_step_index():
    schedule = CountingSchedule()
    params = make_params()
    opt = SGD(schedule)
    before = params[0].data.copy()
    for _ in range(3):
        opt.apply([np.ones(p.shape, np.float32) for p in params], params)
    assert schedule.calls == [0, 1, 2]
    np.testing.assert_allclose(params[0].data, before - (0.1 + 0.05 + 0.1 / 3), rtol=1e-6)
    assert opt.iterations == 3 and opt.learning_rate == pytest.approx(0.1 / 4)


# ----- clipping -----
def run_clipped(**clip):
    """One SGD step with lr 1: the change of each weight is minus its clipped gradient."""
    params = [lamina.tensor(np.zeros(2), requires_grad=True) for _ in range(2)]
    grads = [np.array([3.0, 4.0], np.float32), np.array([0.0, -12.0], np.float32)]
    copies = [g.copy() for g in grads]
    SGD(1.0, **clip).apply(grads, params)
    for g, c in zip(grads, copies, strict=True):
        np.testing.assert_array_equal(g, c)  # gradients are never clipped in place
    return [-p.data for p in params]


def test_clipvalue():
    a, b = run_clipped(clipvalue=3.5)
    np.testing.assert_allclose(a, [3.0, 3.5])
    np.testing.assert_allclose(b, [0.0, -3.5])


def test_clipnorm_is_per_tensor():
    a, b = run_clipped(clipnorm=6.0)  # norms 5 and 12
    np.testing.assert_allclose(a, [3.0, 4.0], rtol=1e-6)
    np.testing.assert_allclose(b, [0.0, -6.0], rtol=1e-6)


def test_global_clipnorm_scales_all_together():
    a, b = run_clipped(global_clipnorm=6.5)  # global norm sqrt(25 + 144) = 13
    np.testing.assert_allclose(a, [1.5, 2.0], rtol=1e-6)
    np.testing.assert_allclose(b, [0.0, -6.0], rtol=1e-6)
    a, b = run_clipped(global_clipnorm=100.0)
    np.testing.assert_allclose(b, [0.0, -12.0])


# ----- ways to call -----
def test_apply_skips_none_and_checks_inputs():
    params = make_params()
    before = [p.data.copy() for p in params]
    opt = Adam(0.1)
    opt.apply([grads_for(params)[0], None], params)
    assert not np.array_equal(params[0].data, before[0])
    np.testing.assert_array_equal(params[1].data, before[1])
    with pytest.raises(ValueError, match="no gradients: every gradient is None"):
        opt.apply([None, None], params)
    with pytest.raises(ValueError, match="got 1 gradients for 2 variables"):
        opt.apply([None], params)
    with pytest.raises(ValueError, match=r"gradient of shape \(3,\) for variable"):
        opt.apply([np.zeros(3, np.float32), None], params)
    with pytest.raises(TypeError, match="updates lamina.Tensor variables, got ndarray"):
        opt.apply([np.zeros(2)], [np.zeros(2)])


def test_apply_gradients_and_tensor_gradients_match_apply():
    a, b, c = make_params(), make_params(), make_params()
    Adam(0.1).apply(grads_for(a), a)
    assert Adam(0.1).apply_gradients(zip(grads_for(b), b, strict=True)) == 1
    Adam(0.1).apply([lamina.tensor(g) for g in grads_for(c)], c)
    for x, y, z in zip(a, b, c, strict=True):
        np.testing.assert_array_equal(x.data, y.data)
        np.testing.assert_array_equal(x.data, z.data)


def test_pytorch_style_step_and_zero_grad():
    x = np.random.default_rng(0).normal(size=(8, 4)).astype(np.float32)
    losses = []
    for make in (
        lambda ps: SGD(ps, lr=0.1),  # torch.optim.SGD(model.parameters(), lr=0.1)
        lambda ps: SGD(params=ps, learning_rate=0.1),
        lambda ps: SGD(0.1, params=iter(ps)),
    ):
        params = make_params()
        opt = make(params)
        assert opt.learning_rate == 0.1
        for _ in range(3):
            opt.zero_grad()
            loss = ((x @ params[0] + params[1]) ** 2).mean()
            loss.backward()
            opt.step()
        assert params[0].grad is not None
        opt.zero_grad()
        assert all(p.grad is None for p in params)
        losses.append(float(((x @ params[0] + params[1]) ** 2).mean().item()))
    assert losses[0] == losses[1] == losses[2]


def test_step_with_closure_and_build_binds_params():
    params = make_params()
    opt = Adam(0.1)
    with pytest.raises(ValueError, match="step\\(\\) needs parameters"):
        opt.step()
    opt.build(params)

    def closure():
        opt.zero_grad()
        loss = (params[0] ** 2).sum() + (params[1] ** 2).sum()
        loss.backward()
        return loss

    first = float(opt.step(closure).item())
    for _ in range(5):
        last = float(opt.step(closure).item())
    assert last < first
    assert opt.iterations == 6


def test_zero_grad_in_place():
    params = make_params()
    opt = SGD(params=params)
    (params[0].sum() + params[1].sum()).backward()
    grad = params[0].grad
    opt.zero_grad(set_to_none=False)
    assert params[0].grad is grad and not grad.any()


def test_torch_style_params_given_twice():
    with pytest.raises(TypeError, match="params given twice"):
        SGD(make_params(), params=make_params())


# ----- dtypes -----
@pytest.mark.parametrize("make", ALL, ids=IDS)
def test_float32_weights_stay_float32(make):
    params = make_params()
    opt = make()
    for _ in range(2):
        opt.apply([g.astype(np.float64) for g in grads_for(params)], params)
    assert all(p.data.dtype == np.float32 for p in params)
    assert all(a.dtype == np.float32 for a in opt.variables())


# ----- config -----
@pytest.mark.parametrize("make", ALL, ids=IDS)
def test_config_round_trip(make):
    opt = make()
    config = opt.get_config()
    clone = type(opt).from_config(config)
    assert clone.get_config() == config
    assert optimizers.deserialize(optimizers.serialize(opt)).get_config() == config
    assert type(optimizers.get(config)) is type(opt)  # default names are class names


def test_config_with_schedule_round_trips():
    opt = Adam(ExponentialDecay(0.1, 10, 0.5), clipnorm=1.0, name="mine")
    config = opt.get_config()
    assert config["learning_rate"]["class_name"] == "ExponentialDecay"
    clone = optimizers.get({"class_name": "Adam", "config": config})
    assert clone.get_config() == config and clone.name == "mine"
    assert clone.learning_rate == 0.1


def test_plain_function_learning_rate_cannot_be_serialized():
    opt = SGD(lambda step: 0.1)
    assert opt.learning_rate == 0.1
    with pytest.raises(ValueError, match="cannot serialize learning_rate"):
        opt.get_config()


@pytest.mark.parametrize(
    ("name", "cls"),
    [("sgd", SGD), ("ADAM", Adam), ("RMSprop", RMSprop), ("adamw", AdamW),
     ("Adagrad", Adagrad), ("nadam", Nadam), ("adamax", Adamax), ("Adadelta", Adadelta),
     ("lion", Lion), ("ftrl", Ftrl)],
)  # fmt: skip
def test_get_by_name(name, cls):
    assert type(optimizers.get(name)) is cls


def test_get_instance_and_errors():
    opt = SGD()
    assert optimizers.get(opt) is opt
    with pytest.raises(ValueError, match="unknown optimizer 'adamx'; known optimizers: adadelta"):
        optimizers.get("adamx")
    with pytest.raises(ValueError, match="cannot interpret 3 as an optimizer"):
        optimizers.get(3)


def test_custom_subclass_is_found_by_name():
    class SignDescent(Optimizer):
        def update(self, param, grad, state, lr, t):
            param -= lr * np.sign(grad)

    opt = optimizers.get("signdescent")
    w = lamina.tensor([1.0, -1.0], requires_grad=True)
    opt.apply([np.array([2.0, -3.0], np.float32)], [w])
    np.testing.assert_allclose(w.data, [0.999, -0.999])


# ----- state -----
def trajectory(opt, params, steps):
    out = []
    for _ in range(steps):
        opt.apply(grads_for(params), params)
        out.append([p.data.copy() for p in params])
    return out


@pytest.mark.parametrize("make", ALL, ids=IDS)
def test_state_round_trip_resumes_exactly(make, tmp_path):
    params = make_params()
    opt = make()
    trajectory(opt, params, 3)
    saved_weights = [p.data.copy() for p in params]
    np.savez(tmp_path / "opt.npz", **opt.get_state())
    want = trajectory(opt, params, 4)

    params = [lamina.tensor(w, requires_grad=True) for w in saved_weights]
    fresh = make()
    fresh.build(params)
    fresh.set_state(np.load(tmp_path / "opt.npz"))
    assert fresh.get_state()["iterations"] == 3  # apply calls (iterations counts updates)
    got = trajectory(fresh, params, 4)
    for a, b in zip(want, got, strict=True):
        for x, y in zip(a, b, strict=True):
            np.testing.assert_array_equal(x, y)


def test_get_state_is_a_copy_in_build_order():
    params = make_params()
    opt = Adam(params=params)
    state = opt.get_state()
    assert list(state) == [
        "iterations",
        "learning_rate",
        "0/momentum",
        "0/velocity",
        "1/momentum",
        "1/velocity",
    ]
    assert [a.shape for a in opt.variables()] == [(4, 3), (4, 3), (3,), (3,)]
    opt.apply(grads_for(params), params)
    assert not state["0/momentum"].any() and opt.variables()[0].any()


def test_set_state_keeps_the_learning_rate_changed_by_callbacks():
    params = make_params()
    opt = SGD(0.1, params=params)
    opt.learning_rate = 0.01  # as ReduceLROnPlateau would
    fresh = SGD(0.1, params=params)
    fresh.set_state(opt.get_state())
    assert fresh.learning_rate == 0.01


def test_set_state_mismatch_is_explained():
    params = make_params()
    state = Adam(params=params).get_state()
    with pytest.raises(ValueError, match="missing \\[\\], unexpected \\['0/velocity'"):
        SGD(momentum=0.9, params=params).set_state(state)
    other = [lamina.tensor(np.zeros((2, 2)), requires_grad=True), params[1]]
    with pytest.raises(ValueError, match=r"state 0/momentum has shape \(4, 3\)"):
        Adam(params=other).set_state(state)


def test_state_is_kept_per_variable_across_calls():
    a, b = make_params(0), make_params(1)
    opt = Adam(0.1)
    opt.apply(grads_for(a), a)
    opt.apply(grads_for(b), b)  # new variables get their own slots
    assert len(opt.variables()) == 8
    opt.apply(grads_for(a), a)
    assert len(opt.variables()) == 8


def test_constraint_is_applied_after_the_update():
    class Weight(lamina.Tensor):
        pass

    w = Weight(np.array([1.0, -1.0], np.float32), requires_grad=True)
    w.constraint = lambda v: lamina.ops.clip(v, 0.0, None)  # non-negative weights
    SGD(0.5).apply([np.array([-1.0, 1.0], np.float32)], [w])
    np.testing.assert_array_equal(w.data, [1.5, 0.0])
    assert w.grad is None and w.data.dtype == np.float32


# ----- compiled models -----
@pytest.mark.parametrize("name", ["adamax", "adadelta", "lion", "ftrl"])
def test_compiled_model_resumes_from_a_file_with_its_optimizer_state(name, tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(48, 5)).astype(np.float32), rng.normal(size=(48, 2)).astype(np.float32)

    def model():
        lamina.seed(3)
        return lamina.Sequential([lamina.layers.Input((5,)), lamina.layers.Dense(2)])

    resumed = model()
    resumed.compile(optimizer=name, loss="mse")
    resumed.fit(x, y, epochs=2, batch_size=16, verbose=0)
    resumed.save(tmp_path / "m.lamina")
    loaded = lamina.models.load_model(tmp_path / "m.lamina")
    assert type(loaded.optimizer) is type(resumed.optimizer) and loaded.optimizer.iterations == 6
    assert loaded.optimizer.get_config() == resumed.optimizer.get_config()
    for a, b in zip(loaded.optimizer.variables(), resumed.optimizer.variables(), strict=True):
        np.testing.assert_array_equal(a, b)
    loaded.fit(x, y, epochs=2, batch_size=16, verbose=0)

    straight = model()
    straight.compile(optimizer=optimizers.get(name), loss="mse")
    straight.fit(x, y, epochs=4, batch_size=16, verbose=0)
    for a, b in zip(loaded.get_weights(), straight.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert not np.allclose(straight.get_weights()[0], model().get_weights()[0])  # it trained


def test_get_with_keras_configs_of_the_new_optimizers():
    opt = optimizers.get({"class_name": "Lion", "config": {"learning_rate": 3e-4, "beta_2": 0.98}})
    assert type(opt) is Lion and (opt.learning_rate, opt.beta_1, opt.beta_2) == (3e-4, 0.9, 0.98)
    restarts = {"class_name": "CosineDecayRestarts",
                "config": {"initial_learning_rate": 0.1, "first_decay_steps": 10}}  # fmt: skip
    opt = optimizers.get({"class_name": "Adamax", "config": {"learning_rate": restarts}})
    assert opt.learning_rate == 0.1 and optimizers.serialize(opt)["config"]["learning_rate"] == {
        **restarts,
        "config": {**restarts["config"], "t_mul": 2.0, "m_mul": 1.0, "alpha": 0.0,
                   "name": "SGDRDecay"},
    }  # fmt: skip
    assert type(optimizers.get(optimizers.serialize(Ftrl(beta=0.5)))) is Ftrl


# ----- Keras's shared options: use_ema, gradient_accumulation_steps, loss_scale_factor -----
def test_keras_option_arguments():
    with pytest.raises(ValueError, match="gradient_accumulation_steps must be an integer >= 2 or "
                       "None, got 1"):  # fmt: skip
        SGD(gradient_accumulation_steps=1)
    with pytest.raises(ValueError, match="gradient_accumulation_steps must be an integer"):
        SGD(gradient_accumulation_steps=2.5)
    assert SGD(gradient_accumulation_steps=0).gradient_accumulation_steps is None  # Keras: off
    with pytest.raises(ValueError, match=r"ema_momentum must be in \[0, 1\], got 1.5"):
        SGD(use_ema=True, ema_momentum=1.5)
    with pytest.raises(ValueError, match="ema_overwrite_frequency must be an integer >= 1"):
        SGD(use_ema=True, ema_overwrite_frequency=-2)
    with pytest.raises(ValueError, match="loss_scale_factor must be positive, got 0"):
        SGD(loss_scale_factor=0)
    with pytest.warns(UserWarning, match="decay argument is no longer supported"):
        assert SGD(decay=0.01).get_config()["learning_rate"] == 0.01  # ignored, as in Keras 3


def test_keras_options_are_in_the_config():
    config = Adam(use_ema=True, ema_momentum=0.9, gradient_accumulation_steps=4).get_config()
    assert list(config)[:11] == [
        "name", "learning_rate", "weight_decay", "clipnorm", "global_clipnorm", "clipvalue",
        "use_ema", "ema_momentum", "ema_overwrite_frequency", "loss_scale_factor",
        "gradient_accumulation_steps",
    ]  # fmt: skip
    assert (config["use_ema"], config["ema_momentum"]) == (True, 0.9)
    assert config["gradient_accumulation_steps"] == 4


def test_accumulation_averages_and_drops_a_skipped_gradient():
    params = [lamina.tensor(np.zeros(2), requires_grad=True) for _ in range(2)]
    opt = SGD(1.0, gradient_accumulation_steps=2)
    opt.apply([np.array([1.0, 2.0]), np.array([4.0, 4.0])], params)
    assert not params[0].data.any() and opt.iterations == 0  # accumulated only
    opt.apply([np.array([3.0, 0.0]), None], params)  # no gradient for params[1] this time
    np.testing.assert_array_equal(params[0].data, [-2.0, -1.0])  # minus the mean
    np.testing.assert_array_equal(params[1].data, [0.0, 0.0])
    assert opt.iterations == 1
    assert not any(a.any() for a in opt.variables())  # every accumulator starts again


def test_iterations_setter_counts_updates():
    opt = SGD(gradient_accumulation_steps=3)
    opt.iterations = 2
    assert opt.iterations == 2 and opt.get_state()["iterations"] == 6


def test_scale_loss_and_the_division_of_gradients():
    w = lamina.tensor([1.0], requires_grad=True)
    opt = SGD(1.0, loss_scale_factor=4.0)
    loss = (w * 3.0).sum()
    assert opt.scale_loss(loss).item() == 12.0
    opt.scale_loss(loss).backward()
    opt.apply([w.grad], [w])
    np.testing.assert_array_equal(w.data, [-2.0])  # 1 - 12 / 4
    plain = SGD()
    assert plain.scale_loss(loss) is loss


def test_ema_first_step_copies_and_finalize():
    w = lamina.tensor([1.0, 2.0], requires_grad=True)
    other = lamina.tensor([5.0], requires_grad=True)
    opt = SGD(0.5, use_ema=True, ema_momentum=0.9)
    opt.apply([np.array([1.0, 1.0])], [w])
    np.testing.assert_allclose(opt.get_state()["0/average"], [0.5, 1.5])  # the new weights
    opt.apply([np.array([1.0, 1.0])], [w])
    np.testing.assert_allclose(w.data, [0.0, 1.0])
    np.testing.assert_allclose(opt.get_state()["0/average"], [0.45, 1.45], rtol=1e-6)
    opt.finalize_variable_values([w, other])  # a variable it never saw is left alone
    np.testing.assert_allclose(w.data, [0.45, 1.45], rtol=1e-6)
    assert other.data.tolist() == [5.0]
    no_ema = SGD(0.5)
    no_ema.apply([np.array([1.0, 1.0])], [w])
    before = w.data.copy()
    no_ema.finalize_variable_values([w])
    np.testing.assert_array_equal(w.data, before)


def _fit_dense(optimizer, epochs=2):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(32, 3)).astype(np.float32), rng.normal(size=(32, 2)).astype(np.float32)
    lamina.seed(1)
    model = lamina.Sequential([lamina.layers.Input((3,)), lamina.layers.Dense(2)])
    model.compile(optimizer=optimizer, loss="mse")
    model.fit(x, y, epochs=epochs, batch_size=8, shuffle=False, verbose=0)
    return model


def test_fit_ends_with_the_moving_averages():
    model = _fit_dense(SGD(0.1, use_ema=True, ema_momentum=0.5))
    state = model.optimizer.get_state()
    kernel, bias = model.get_weights()
    np.testing.assert_array_equal(kernel, state["0/average"])
    np.testing.assert_array_equal(bias, state["1/average"])
    plain_kernel = _fit_dense(SGD(0.1)).get_weights()[0]
    assert not np.allclose(kernel, plain_kernel)


def test_fit_scales_the_loss_and_unscales_the_gradients():
    scaled = _fit_dense(SGD(0.1, loss_scale_factor=1024.0))  # a power of two: exact
    plain = _fit_dense(SGD(0.1))
    for a, b in zip(scaled.get_weights(), plain.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_fit_with_gradient_accumulation():
    model = _fit_dense(SGD(0.1, gradient_accumulation_steps=2))
    assert model.optimizer.iterations == 4  # 2 epochs of 4 batches, one update per 2
    untrained = _fit_dense(SGD(0.1), epochs=0)
    assert not np.allclose(model.get_weights()[0], untrained.get_weights()[0])


def test_state_set_before_the_variables_are_known_loads_at_the_first_step():
    w = lamina.tensor(np.ones(3, np.float32), requires_grad=True)
    opt = Adam(0.1)
    for _ in range(2):
        opt.apply_gradients([(np.ones(3, np.float32), w)])
    state = opt.get_state()
    opt.apply_gradients([(np.ones(3, np.float32), w)])
    resumed_w = lamina.tensor(np.full(3, 0.8, np.float32), requires_grad=True)
    resumed = Adam(0.1)
    resumed.set_state(state)  # a custom train_step's optimizer: no variables until it steps
    resumed.apply_gradients([(np.ones(3, np.float32), resumed_w)])
    np.testing.assert_allclose(resumed_w.numpy(), w.numpy(), rtol=1e-6)
    assert resumed.iterations == 3
    wrong = Adam(0.1)
    wrong.set_state(state)
    with pytest.raises(ValueError, match="shape"):
        wrong.apply_gradients([(np.ones(4, np.float32), lamina.tensor(np.ones(4, np.float32)))])
