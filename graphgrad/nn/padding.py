"""Padding layers (zero, constant, reflection, replication, circular) over 1, 2 and 3 spatial
dims; each calls F.pad with its padding, last dim first."""
from graphgrad.nn.module import Module
from graphgrad.ops.padding import pad


class _PadNd(Module):
    nd = 2
    mode = "constant"

    def __init__(self, padding, value=0.0):
        super().__init__()
        if isinstance(padding, int):
            padding = (padding,) * (2 * self.nd)
        padding = tuple(int(p) for p in padding)
        if len(padding) != 2 * self.nd:
            raise ValueError(f"{type(self).__name__}: padding must be an int or "
                             f"{2 * self.nd} ints, got {padding}")
        self.padding = padding
        if self.mode == "constant":
            self.value = value

    def forward(self, x):
        return pad(x, self.padding, self.mode, getattr(self, "value", None))

    def extra_repr(self):
        if self.mode == "constant":
            return f"padding={self.padding}, value={self.value}"
        return f"{self.padding}"


def _layer(name, nd, mode, doc, fixed_value=None):
    if fixed_value is None:
        body = {"nd": nd, "mode": mode, "__doc__": doc}
    else:
        def __init__(self, padding):
            _PadNd.__init__(self, padding, fixed_value)
        body = {"nd": nd, "mode": mode, "__doc__": doc, "__init__": __init__,
                "extra_repr": lambda self: f"{self.padding}"}
    cls = type(name, (_PadNd,), body)
    cls.__module__ = __name__
    return cls


ConstantPad1d = _layer("ConstantPad1d", 1, "constant", "Pads the last dim with `value`.")
ConstantPad2d = _layer("ConstantPad2d", 2, "constant", "Pads the last 2 dims with `value`.")
ConstantPad3d = _layer("ConstantPad3d", 3, "constant", "Pads the last 3 dims with `value`.")
ZeroPad1d = _layer("ZeroPad1d", 1, "constant", "Pads the last dim with zeros.", 0.0)
ZeroPad2d = _layer("ZeroPad2d", 2, "constant", "Pads the last 2 dims with zeros.", 0.0)
ZeroPad3d = _layer("ZeroPad3d", 3, "constant", "Pads the last 3 dims with zeros.", 0.0)
ReflectionPad1d = _layer("ReflectionPad1d", 1, "reflect", "Mirror padding of the last dim.")
ReflectionPad2d = _layer("ReflectionPad2d", 2, "reflect", "Mirror padding of the last 2 dims.")
ReflectionPad3d = _layer("ReflectionPad3d", 3, "reflect", "Mirror padding of the last 3 dims.")
ReplicationPad1d = _layer("ReplicationPad1d", 1, "replicate", "Edge padding of the last dim.")
ReplicationPad2d = _layer("ReplicationPad2d", 2, "replicate",
                          "Edge padding of the last 2 dims.")
ReplicationPad3d = _layer("ReplicationPad3d", 3, "replicate",
                          "Edge padding of the last 3 dims.")
CircularPad1d = _layer("CircularPad1d", 1, "circular", "Wrap-around padding of the last dim.")
CircularPad2d = _layer("CircularPad2d", 2, "circular",
                       "Wrap-around padding of the last 2 dims.")
CircularPad3d = _layer("CircularPad3d", 3, "circular",
                       "Wrap-around padding of the last 3 dims.")
