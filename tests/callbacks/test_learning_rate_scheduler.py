import pytest

from lamina.callbacks import LambdaCallback, LearningRateScheduler
from tests.callbacks.fake_fit import FakeModel, run_fit


def test_two_argument_schedule_sets_rate_at_epoch_begin():
    model = FakeModel()
    seen = []
    record = LambdaCallback(
        on_epoch_begin=lambda epoch, logs: seen.append(model.optimizer.learning_rate)
    )
    schedule = LearningRateScheduler(lambda epoch, lr: lr * 0.5 if epoch > 0 else lr)
    callbacks = run_fit(model, [schedule, record], [{"loss": 1.0}] * 3)
    assert seen == pytest.approx([0.1, 0.05, 0.025])
    assert callbacks.history.history["learning_rate"] == pytest.approx([0.1, 0.05, 0.025])


def test_one_argument_schedule():
    model = FakeModel()

    def schedule(epoch):
        return 0.01 * (epoch + 1)

    run_fit(model, [LearningRateScheduler(schedule)], [{"loss": 1.0}] * 3)
    assert model.optimizer.learning_rate == pytest.approx(0.03)


def test_type_error_inside_schedule_is_not_swallowed():
    model = FakeModel()

    def schedule(epoch, lr):
        raise TypeError("bug in schedule")

    with pytest.raises(TypeError, match="bug in schedule"):
        run_fit(model, [LearningRateScheduler(schedule)], [{"loss": 1.0}])


def test_verbose_message(capsys):
    model = FakeModel()
    run_fit(model, [LearningRateScheduler(lambda e: 0.5, verbose=1)], [{"loss": 1.0}])
    assert "Epoch 1: LearningRateScheduler setting learning rate to 0.5." in capsys.readouterr().out


def test_bad_return_value():
    model = FakeModel()
    with pytest.raises(ValueError, match="finite float, got 'fast'"):
        run_fit(model, [LearningRateScheduler(lambda e: "fast")], [{"loss": 1.0}])
    with pytest.raises(ValueError, match="negative"):
        run_fit(model, [LearningRateScheduler(lambda e: -1.0)], [{"loss": 1.0}])


def test_argument_checks():
    with pytest.raises(TypeError, match="must be a function"):
        LearningRateScheduler(0.1)
    with pytest.raises(ValueError, match="accept \\(epoch, lr\\) or \\(epoch\\)"):
        LearningRateScheduler(lambda a, b, c: 0.1)


def test_needs_an_optimizer():
    model = FakeModel()
    model.optimizer = None
    with pytest.raises(ValueError, match="compile"):
        run_fit(model, [LearningRateScheduler(lambda e: 0.1)], [{"loss": 1.0}])
