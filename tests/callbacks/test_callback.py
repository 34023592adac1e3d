from lamina.callbacks import Callback


def test_hooks_are_no_ops_and_unused():
    callback = Callback()
    assert callback.on_epoch_end(0, {"loss": 1.0}) is None
    assert callback.on_train_batch_end(0) is None
    assert not any(
        callback._uses_hook(name) for name in ("on_epoch_end", "on_train_batch_end", "on_test_end")
    )


def test_set_model_and_params():
    callback = Callback()
    callback.set_model("m")
    callback.set_params({"epochs": 2})
    assert callback.model == "m" and callback.params == {"epochs": 2}


def test_override_is_detected():
    class OnEpoch(Callback):
        def on_epoch_end(self, epoch, logs=None):
            pass

    callback = OnEpoch()
    assert callback._uses_hook("on_epoch_end")
    assert not callback._uses_hook("on_train_batch_end")


def test_keras_on_batch_end_alias():
    seen = []

    class Old(Callback):
        def on_batch_end(self, batch, logs=None):
            seen.append((batch, logs))

    callback = Old()
    assert callback._uses_hook("on_train_batch_end")
    callback.on_train_batch_end(4, {"loss": 1.0})
    assert seen == [(4, {"loss": 1.0})]
