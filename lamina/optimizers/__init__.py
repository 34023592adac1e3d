"""Optimizers (Keras names and defaults) and learning-rate schedules.

>>> from lamina import optimizers
>>> optimizers.get("adam")
Adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-07, amsgrad=False)
"""

from lamina.optimizers import schedules  # noqa: I001 - the base imports schedules
from lamina.optimizers.optimizer import Optimizer, deserialize, get, serialize
from lamina.optimizers.adadelta import Adadelta
from lamina.optimizers.adagrad import Adagrad
from lamina.optimizers.adam import Adam
from lamina.optimizers.adamax import Adamax
from lamina.optimizers.adamw import AdamW
from lamina.optimizers.ftrl import Ftrl
from lamina.optimizers.lion import Lion
from lamina.optimizers.nadam import Nadam
from lamina.optimizers.rmsprop import RMSprop
from lamina.optimizers.sgd import SGD
from lamina.optimizers import lr_scheduler  # PyTorch's epoch-wise schedulers

__all__ = [
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "Adamax",
    "AdamW",
    "Ftrl",
    "Lion",
    "Nadam",
    "Optimizer",
    "RMSprop",
    "deserialize",
    "get",
    "lr_scheduler",
    "schedules",
    "serialize",
]
