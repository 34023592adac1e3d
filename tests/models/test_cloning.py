"""keras.models.clone_model: the architecture again, with fresh weights."""

import numpy as np


def test_clone_model_has_the_architecture_and_fresh_weights():
    import lamina
    from lamina.layers import Conv2D, Dense, Flatten, Input
    from lamina.models import clone_model

    seq = lamina.Sequential([Input((6, 6, 1)), Conv2D(2, 3), Flatten(), Dense(3)])
    inputs = Input((4,))
    functional = lamina.Model(inputs, Dense(2)(Dense(5, activation="relu")(inputs)))
    for model, x in [
        (seq, np.ones((2, 6, 6, 1), "float32")),
        (functional, np.ones((2, 4), "float32")),
    ]:
        copy = clone_model(model)
        assert [w.shape for w in copy.get_weights()] == [w.shape for w in model.get_weights()]
        assert not np.array_equal(copy.get_weights()[0], model.get_weights()[0])
        copy.set_weights(model.get_weights())
        assert np.allclose(copy.predict(x, verbose=0), model.predict(x, verbose=0))
