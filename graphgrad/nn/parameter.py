"""nn.Parameter: a leaf tensor that modules register and optimizers update."""
from graphgrad.errors import TraceError
from graphgrad.ir.graph import Value
from graphgrad.tensor import Tensor, to_array


class Parameter(Tensor):
    _kind = "param"     # how graphs label its input

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = to_array([], "float32")
        if isinstance(data, Tensor):
            if type(data._data) is Value:
                raise TraceError("nn.Parameter cannot wrap a traced tensor; create parameters "
                                 "outside the compiled function")
            data = data._data
        super().__init__(data, requires_grad=False)
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()
