"""The optimizers used the PyTorch way: parameters bound before the model is built,
state_dict/load_state_dict and param_groups."""

import numpy as np
import pytest

import lamina
from lamina.layers import Dense
from lamina.optimizers import SGD, Adam


class Net(lamina.Model):
    """A subclassed model whose layers create their weights at the first call."""

    def __init__(self):
        super().__init__()
        self.hidden = Dense(8, activation="tanh")
        self.out = Dense(1)

    def call(self, x):
        return self.out(self.hidden(x))


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 3)).astype("float32")
    return x, (x @ np.array([[1.0], [-2.0], [0.5]], "float32")).astype("float32")


def mse(model, x, y):
    diff = model(x) - lamina.tensor(y)
    return (diff * diff).mean()


def test_optimizer_made_before_the_first_call_trains_the_weights_created_later():
    x, y = data()
    model = Net()
    optimizer = SGD(model.parameters(), lr=0.1)  # no weights yet
    assert len(model.parameters()) == 0
    losses = []
    for _ in range(20):
        optimizer.zero_grad()
        loss = mse(model, x, y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    assert optimizer.param_groups[0]["params"] == model.trainable_weights
    assert optimizer.iterations == 20


def test_step_without_any_weight_is_a_loud_error():
    model = Net()
    optimizer = Adam(model.parameters(), lr=0.01)
    optimizer.zero_grad()  # nothing to clear yet: fine
    with pytest.raises(ValueError, match="no parameters to update.*build\\(\\) it before"):
        optimizer.step()


def test_an_empty_list_is_refused_at_construction():
    model = Net()
    with pytest.raises(ValueError, match="SGD got an empty parameter list.*model.parameters"):
        SGD(model.trainable_weights, lr=0.1)  # a snapshot: it would never see the weights
    model(np.zeros((1, 3), "float32"))
    optimizer = SGD(model.trainable_weights, lr=0.1)  # built: the list works as before
    assert len(optimizer.param_groups[0]["params"]) == 4


def test_state_dict_round_trip_continues_training_exactly():
    x, y = data()
    lamina.seed(0)
    model = Net()
    model(x[:1])
    optimizer = Adam(model.parameters(), lr=0.05)

    def train(model, optimizer, steps):
        for _ in range(steps):
            optimizer.zero_grad()
            mse(model, x, y).backward()
            optimizer.step()

    train(model, optimizer, 3)
    weights, state = model.state_dict(), optimizer.state_dict()
    assert state["iterations"] == 3 and "0/momentum" in state
    train(model, optimizer, 2)

    other = Net()
    other(x[:1])
    other.load_state_dict(weights)
    other_optimizer = Adam(other.parameters(), lr=0.05)
    other_optimizer.load_state_dict(state)
    train(other, other_optimizer, 2)
    for a, b in zip(model.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_param_groups_lr_sets_the_learning_rate():
    w = lamina.tensor([1.0, 1.0], requires_grad=True)
    optimizer = SGD([w], lr=0.5, momentum=0.9)
    group = optimizer.param_groups[0]
    assert group["lr"] == 0.5 and group["momentum"] == 0.9 and group["params"] == [w]
    for g in optimizer.param_groups:  # the PyTorch idiom
        g["lr"] = 0.1
    assert optimizer.learning_rate == 0.1
    w.sum().backward()
    optimizer.step()
    np.testing.assert_allclose(w.numpy(), [0.9, 0.9])
    group["initial_lr"] = 0.5  # schedulers keep their own keys
    assert optimizer.param_groups[0]["initial_lr"] == 0.5
    with pytest.raises(ValueError, match="learning_rate must be a number >= 0"):
        group["lr"] = -1.0
    with pytest.raises(TypeError, match="read-only"):
        group["params"] = []
