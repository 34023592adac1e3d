"""PyTorch's examples/mnist/main.py written against lamina, on a subset of MNIST: a subclassed
model, an optimizer made before the first call, zero_grad/backward/step, train()/eval(),
no_grad evaluation, StepLR, and state_dict checkpoints loaded into fresh instances."""

import numpy as np

import lamina
from lamina import layers, ops
from lamina.optimizers.lr_scheduler import StepLR
from tests.data import shared_folder

TRAIN, TEST, BATCH = 4096, 512, 64


class Net(lamina.Model):
    def __init__(self):
        super().__init__()
        self.conv1 = layers.Conv2D(8, 3, activation="relu")
        self.pool = layers.MaxPooling2D(2)
        self.conv2 = layers.Conv2D(16, 3, activation="relu")
        self.dropout1 = layers.Dropout(0.25)
        self.flatten = layers.Flatten()
        self.fc1 = layers.Dense(32, activation="relu")
        self.dropout2 = layers.Dropout(0.5)
        self.fc2 = layers.Dense(10)

    def call(self, x):
        x = self.pool(self.conv2(self.pool(self.conv1(x))))
        x = self.fc1(self.flatten(self.dropout1(x)))
        return ops.log_softmax(self.fc2(self.dropout2(x)), axis=1)


def nll_loss(output, target, reduction="mean"):
    picked = ops.take_along_axis(output, lamina.tensor(target[:, None].astype("int64")), axis=1)
    return -picked.mean() if reduction == "mean" else -picked.sum()


def mnist():
    from lamina.data.idx import read_images_and_labels

    folder = shared_folder("mnist")
    x, y = read_images_and_labels(
        folder / "train-images-idx3-ubyte.gz", folder / "train-labels-idx1-ubyte.gz"
    )
    x = ((x[..., None] / 255.0 - 0.1307) / 0.3081).astype("float32")
    return (x[:TRAIN], y[:TRAIN].astype("int64")), (x[-TEST:], y[-TEST:].astype("int64"))


def train(model, x, y, optimizer, rng):
    model.train()
    losses, order = [], rng.permutation(len(x))
    for i in range(0, len(x), BATCH):
        idx = order[i : i + BATCH]
        optimizer.zero_grad()
        loss = nll_loss(model(x[idx]), y[idx])
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def evaluate(model, x, y):
    model.eval()
    with lamina.no_grad():
        output = model(x)
        loss = nll_loss(output, y, reduction="sum").item() / len(x)
        pred = output.argmax(dim=1, keepdim=True)
    assert pred.shape == (len(x), 1) and output.grad is None
    return loss, float((pred.numpy()[:, 0] == y).mean())


def test_pytorch_mnist_example_trains_checkpoints_and_resumes(tmp_path):
    (x, y), (x_test, y_test) = mnist()
    rng = np.random.default_rng(0)
    model = Net()
    # optim.Adadelta(model.parameters(), lr=1.0) with PyTorch's rho and eps, before any weight
    optimizer = lamina.optimizers.Adadelta(model.parameters(), lr=1.0, rho=0.9, epsilon=1e-6)
    scheduler = StepLR(optimizer, step_size=1, gamma=0.7)
    first_loss, _ = evaluate(model, x_test, y_test)
    rates, epoch_losses = [], []
    for _ in range(2):
        rates.append(scheduler.get_last_lr()[0])
        epoch_losses.append(train(model, x, y, optimizer, rng))
        test_loss, accuracy = evaluate(model, x_test, y_test)
        scheduler.step()
    assert rates == [1.0, 0.7] and optimizer.learning_rate == 0.7 * 0.7
    assert np.mean(epoch_losses[1]) < 0.5 * epoch_losses[0][0]
    assert test_loss < 0.3 * first_loss and accuracy > 0.9
    # eval() mode: dropout off, two plain calls agree; train(): they differ
    np.testing.assert_array_equal(model(x_test[:64]).numpy(), model(x_test[:64]).numpy())
    assert not np.array_equal(model.train()(x[:64]).numpy(), model(x[:64]).numpy())

    # torch.save(model.state_dict(), "mnist_cnn.pt"), and the optimizer's, as npz files
    np.savez(tmp_path / "mnist_cnn.npz", **model.state_dict())
    np.savez(tmp_path / "optimizer.npz", **optimizer.state_dict())
    assert "conv1.kernel" in model.state_dict()
    fresh = Net()
    fresh(x[:1])
    fresh.load_state_dict(dict(np.load(tmp_path / "mnist_cnn.npz")))
    assert evaluate(fresh, x_test, y_test) == evaluate(model, x_test, y_test)

    # resuming: the same weights, optimizer state and rate continue identically
    resumed = Net()
    resumed_optimizer = lamina.optimizers.Adadelta(resumed.parameters(), rho=0.9, epsilon=1e-6)
    resumed(x[:1])
    resumed.load_state_dict(dict(np.load(tmp_path / "mnist_cnn.npz")))
    with np.load(tmp_path / "optimizer.npz") as saved:
        resumed_optimizer.load_state_dict({key: saved[key] for key in saved.files})
    assert resumed_optimizer.learning_rate == optimizer.learning_rate
    for net, opt in ((model, optimizer), (resumed, resumed_optimizer)):
        net.eval()  # no dropout: both take exactly the same step
        opt.zero_grad()
        nll_loss(net(x[:BATCH]), y[:BATCH]).backward()
        opt.step()
    for a, b in zip(model.get_weights(), resumed.get_weights()):
        np.testing.assert_array_equal(a, b)
