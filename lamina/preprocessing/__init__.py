"""Keras's legacy ``keras.preprocessing`` paths, for tutorials that still import from them:
``preprocessing.timeseries_dataset_from_array``, ``preprocessing.sequence.pad_sequences`` and
``preprocessing.image.save_img``. They are the functions of ``lamina.utils`` under their old
names (the preprocessing *layers* are in ``lamina.layers``).

>>> import lamina
>>> lamina.preprocessing.sequence.pad_sequences([[1, 2], [3]]).tolist()
[[1, 2], [0, 3]]
>>> lamina.preprocessing.timeseries_dataset_from_array is lamina.utils.timeseries_dataset_from_array
True
"""

from lamina.data.image_dataset import image_dataset_from_directory
from lamina.data.text_dataset import text_dataset_from_directory
from lamina.data.timeseries import timeseries_dataset_from_array
from lamina.preprocessing import image, sequence

__all__ = ["image", "sequence", "timeseries_dataset_from_array"]
__all__ += ["image_dataset_from_directory", "text_dataset_from_directory"]
