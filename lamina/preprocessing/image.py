"""``keras.preprocessing.image``: ``save_img``, ``load_img``, ``img_to_array`` and
``array_to_img``, the functions of ``lamina.utils`` under their old path (PNG files without an
imaging library, other formats through Pillow).

>>> import numpy as np, os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "gray.png")
>>> save_img(path, np.zeros((4, 4, 1)))
>>> open(path, "rb").read(4)
b'\\x89PNG'
>>> img_to_array(load_img(path, color_mode="grayscale")).shape
(4, 4, 1)
"""

from lamina.utils import array_to_img, img_to_array, load_img, save_img

__all__ = ["array_to_img", "img_to_array", "load_img", "save_img"]
