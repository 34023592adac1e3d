"""``keras.preprocessing.image``: ``save_img`` (the one in ``lamina.utils``, PNG files without
an imaging library).

>>> import numpy as np, os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "gray.png")
>>> save_img(path, np.zeros((4, 4, 1)))
>>> open(path, "rb").read(4)
b'\\x89PNG'
"""

from lamina.utils import save_img

__all__ = ["save_img"]
