"""Export lamina models to other formats and sizes: ``onnx(model, path)`` writes an ONNX file
(``docs/export.md``); ``quantize(model, path, "int8")`` writes a ``.lamina`` file with int8 or
float16 weights (``docs/saving.md``)."""

from lamina.export.quantize import quantize
from lamina.export.to_onnx import onnx

__all__ = ["onnx", "quantize"]
