"""``keras.preprocessing.sequence``: ``pad_sequences`` (the one in ``lamina.utils``).

>>> pad_sequences([[1, 2, 3], [4]], maxlen=2, padding="post").tolist()
[[2, 3], [4, 0]]
"""

from lamina.utils import pad_sequences

__all__ = ["pad_sequences"]
