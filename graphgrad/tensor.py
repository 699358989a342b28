"""Tensor: a NumPy array in eager mode, an IR value while tracing. Every operator calls an op
function from `graphgrad.ops`, which calls `dispatch.bind`.

In-place methods (`add_`, `t[i] = v`, `+=`, ...) rebind the tensor to a new array (eager) or to a
new IR value (traced, i.e. functionalized) and bump its version counter; a tensor that autograd
saved and that was later mutated raises at backward, as in PyTorch.
"""
import numpy as np

from graphgrad.errors import AutogradError, ShapeError, TraceError
from graphgrad.ir.graph import Value
from graphgrad.dtypes import can_cast, default_float
from graphgrad.ir.types import as_dtype


class Tensor:
    __slots__ = ("_data", "_requires_grad", "_grad", "_grad_fn", "_out_index", "_vc",
                 "__weakref__", "__dict__")

    def __init__(self, data, dtype=None, requires_grad=False):
        if isinstance(data, Tensor):
            data = data._data
            if type(data) is Value:
                raise TraceError("gg.tensor(traced_tensor): use .clone() or the tensor itself "
                                 "inside a compiled function")
        arr = to_array(data, dtype)
        # like torch.tensor, the tensor owns its data (gg.from_numpy shares instead)
        self._data = arr.copy() if arr is data else arr
        self._requires_grad = False
        self._grad = None
        self._grad_fn = None
        self._out_index = 0
        self._vc = None
        if requires_grad:
            self.requires_grad_(True)

    # -- constructors used by the framework (no checks) -----------------------------------------
    @classmethod
    def _wrap(cls, array):
        t = object.__new__(Tensor)
        t._data = array
        t._requires_grad = False
        t._grad = None
        t._grad_fn = None
        t._out_index = 0
        t._vc = None
        return t

    @classmethod
    def _from_op(cls, array, op, attrs, inputs):
        t = Tensor._wrap(array)
        t._requires_grad = True
        t._grad_fn = autograd.OpNode(op, attrs, inputs, t)
        return t

    @classmethod
    def _tracer(cls, value, requires_grad=False):
        t = Tensor._wrap(value)
        t._requires_grad = requires_grad
        return t

    # -- metadata -------------------------------------------------------------------------------
    @property
    def shape(self):
        return tuple(self._data.shape)

    @property
    def dtype(self):
        return self._data.dtype

    @property
    def ndim(self):
        return len(self._data.shape)

    def dim(self):
        return self.ndim

    def size(self, dim=None):
        if dim is None:
            return self.shape
        return self.shape[dim]

    def numel(self):
        return int(np.prod(self.shape, dtype=np.int64))

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    @property
    def is_traced(self):
        return type(self._data) is Value

    @property
    def is_leaf(self):
        return self._grad_fn is None

    @property
    def grad_fn(self):
        return self._grad_fn

    # -- autograd -------------------------------------------------------------------------------
    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag):
        self.requires_grad_(flag)

    def requires_grad_(self, requires_grad=True):
        requires_grad = bool(requires_grad)
        if requires_grad and self._data.dtype.kind != "f":
            raise TypeError(f"requires_grad_: only floating-point tensors can require gradients, "
                            f"this one is {self._data.dtype}")
        if self._grad_fn is not None and not requires_grad:
            raise AutogradError("requires_grad_(False) on a tensor computed by an op: use "
                                ".detach() instead")
        self._requires_grad = requires_grad
        trace = dispatch.MODE.trace
        if trace is not None and requires_grad and type(self._data) is Value:
            trace.mark_leaf(self)
        return self

    @property
    def grad(self):
        trace = dispatch.MODE.trace
        if trace is not None:
            return trace.read_grad(self)
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"grad must be a Tensor or None, got {type(value).__name__}")
            if value.shape != self.shape or value.dtype != self.dtype:
                raise ShapeError(f"assigning grad of {value.shape} {value.dtype} to a tensor of "
                                 f"{self.shape} {self.dtype}")
        trace = dispatch.MODE.trace
        if trace is not None:
            trace.write_grad(self, value)
        else:
            self._grad = value

    def backward(self, gradient=None, retain_graph=False):
        """Accumulate d(self)/d(leaf) into every leaf's `.grad` (PyTorch semantics)."""
        trace = dispatch.MODE.trace
        if trace is not None:
            trace.backward(self, gradient)
        else:
            autograd.backward(self, gradient, retain_graph)

    def detach(self):
        return ops.detach(self)

    def detach_(self):
        if self._grad_fn is not None:
            raise AutogradError("detach_() on a tensor computed by an op is not supported; use "
                                "detach()")
        self._requires_grad = False
        return self

    def clone(self):
        return ops.clone(self)

    def _version_cell(self):
        if self._vc is None:
            self._vc = [0]
        return self._vc

    @property
    def _version(self):
        return self._vc[0] if self._vc is not None else 0

    # -- leaving graphgrad ----------------------------------------------------------------------
    def _concrete(self, what):
        if type(self._data) is Value:
            from graphgrad.tracing import data_dependent_error
            raise data_dependent_error(what)
        return self._data

    def numpy(self):
        return self._concrete("Tensor.numpy()")

    def item(self):
        data = self._concrete("Tensor.item()")
        if data.size != 1:
            raise ShapeError(f"item(): only one-element tensors can be converted to Python "
                             f"scalars, this one has shape {data.shape}")
        return data.item()

    def tolist(self):
        return self._concrete("Tensor.tolist()").tolist()

    def __array__(self, dtype=None, copy=None):
        data = self._concrete("np.asarray(tensor)")
        return data.astype(dtype) if dtype is not None else data

    def __bool__(self):
        data = self._concrete("bool(tensor) (an `if`, `while`, `and`/`or` on a tensor)")
        if data.size != 1:
            raise ValueError(f"the truth value of a tensor with {data.size} elements is "
                             "ambiguous; use .any() or .all()")
        return bool(data)

    def __float__(self):
        self._concrete("float(tensor)")      # a TraceError while tracing
        return float(self.item())

    def __int__(self):
        self._concrete("int(tensor)")
        return int(self.item())

    def __index__(self):
        data = self._concrete("using a tensor as a Python index")
        if data.dtype.kind not in "iub" or data.size != 1:
            raise TypeError("only integer tensors of a single element can be used as an index")
        return int(data)

    def __repr__(self):
        if type(self._data) is Value:
            grad = ", requires_grad=True" if self._requires_grad else ""
            return f"<traced Tensor {self._data.type}{grad}>"
        body = np.array2string(self._data, separator=", ", precision=4, prefix="tensor(")
        extra = ""
        if self._data.dtype != default_float() and self._data.dtype.kind == "f" or \
                self._data.dtype.kind not in "fi":
            extra = f", dtype={self._data.dtype}"
        elif self._data.dtype.kind == "i" and self._data.dtype != np.int64:
            extra = f", dtype={self._data.dtype}"
        if self._grad_fn is not None:
            extra += f", grad_fn=<{self._grad_fn.name}>"
        elif self._requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    def __str__(self):
        if type(self._data) is Value:
            self._concrete("printing a tensor's values (str(tensor) / print(tensor))")
        return repr(self)

    def __format__(self, spec):
        if type(self._data) is Value:
            self._concrete("formatting a tensor's values (f-string / format)")
        if spec and self._data.size == 1:
            return format(self._data.item(), spec)
        return str(self)

    __hash__ = object.__hash__

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    def __reduce_ex__(self, protocol):
        raise TypeError("graphgrad tensors are not pickled; save them with gg.save")

    # -- conversions ----------------------------------------------------------------------------
    def astype(self, dtype):
        return ops.cast(self, as_dtype(dtype))

    def to(self, dtype):
        return self.astype(dtype)

    def float(self):
        return self.astype(np.float32)

    def double(self):
        return self.astype(np.float64)

    def long(self):
        return self.astype(np.int64)

    def int(self):
        return self.astype(np.int32)

    def bool(self):
        return self.astype(np.bool_)

    # -- in-place -------------------------------------------------------------------------------
    def _inplace(self, compute, name):
        """Compute `compute(snapshot_of_self)` and make self that value (functionally)."""
        trace = dispatch.MODE.trace
        leaf = self._grad_fn is None if trace is None else trace.is_leaf(self)
        if self._requires_grad and leaf and dispatch.MODE.grad_enabled:
            raise AutogradError(f"{name}: a leaf tensor that requires grad is used in an in-place "
                                "operation; wrap the update in `with gg.no_grad():`")
        if trace is not None:
            new = compute(self)    # traced values are immutable: no snapshot needed
        else:
            # the op reads a snapshot, so its autograd node does not see the version bump below
            snapshot = Tensor._wrap(self._data)
            snapshot._requires_grad = self._requires_grad
            snapshot._grad_fn = self._grad_fn
            snapshot._out_index = self._out_index
            new = compute(snapshot)
        if new.shape != self.shape:
            raise ShapeError(f"{name}: the result has shape {new.shape}, the tensor updated in "
                             f"place has {self.shape}")
        if new.dtype != self.dtype:
            if not can_cast(new.dtype, self.dtype):
                raise TypeError(f"{name}: result type {new.dtype} can't be cast to the tensor's "
                                f"dtype {self.dtype}")
            new = ops.cast(new, self.dtype)
        if trace is not None:
            trace.assign(self, new)
        else:
            self._assign(new)
        return self

    def _assign(self, new):
        self._data = new._data
        if new._grad_fn is not None:
            self._grad_fn = new._grad_fn
            self._out_index = new._out_index
            self._requires_grad = True
        cell = self._vc
        if cell is not None:
            cell[0] += 1

    def add_(self, other, alpha=1):
        if alpha != 1:
            return self._inplace(lambda s: s + other * alpha, "add_")
        return self._inplace(lambda s: s + other, "add_")

    def sub_(self, other, alpha=1):
        if alpha != 1:
            return self._inplace(lambda s: s - other * alpha, "sub_")
        return self._inplace(lambda s: s - other, "sub_")

    def mul_(self, other):
        return self._inplace(lambda s: s * other, "mul_")

    def zero_(self):
        return self._inplace(lambda s: ops.zeros_like(s), "zero_")

    def fill_(self, value):
        return self._inplace(lambda s: ops.full_like(s, value), "fill_")

    def copy_(self, src):
        def compute(s):
            src_t = ops.as_tensor_like(src, s)
            return ops.broadcast_to(src_t, s.shape).astype(s.dtype)
        return self._inplace(compute, "copy_")

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def __setitem__(self, index, value):
        self._inplace(lambda s: ops.setitem(s, index, value), "__setitem__")

    # -- operators ------------------------------------------------------------------------------
    def __add__(self, other):
        return ops.add(self, other)

    def __radd__(self, other):
        return ops.add(other, self)

    def __sub__(self, other):
        return ops.sub(self, other)

    def __rsub__(self, other):
        return ops.sub(other, self)

    def __mul__(self, other):
        return ops.mul(self, other)

    def __rmul__(self, other):
        return ops.mul(other, self)

    def __truediv__(self, other):
        return ops.div(self, other)

    def __rtruediv__(self, other):
        return ops.div(other, self)

    def __floordiv__(self, other):
        return ops.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return ops.floor_divide(other, self)

    def __mod__(self, other):
        return ops.remainder(self, other)

    def __pow__(self, other):
        return ops.pow(self, other)

    def __rpow__(self, other):
        return ops.pow(other, self)

    def __matmul__(self, other):
        return ops.matmul(self, other)

    def __rmatmul__(self, other):
        return ops.matmul(other, self)

    def __neg__(self):
        return ops.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return ops.abs(self)

    def __eq__(self, other):
        return ops.eq(self, other)

    def __ne__(self, other):
        return ops.ne(self, other)

    def __lt__(self, other):
        return ops.lt(self, other)

    def __le__(self, other):
        return ops.le(self, other)

    def __gt__(self, other):
        return ops.gt(self, other)

    def __ge__(self, other):
        return ops.ge(self, other)

    def __getitem__(self, index):
        return ops.getitem(self, index)

    @property
    def T(self):
        return ops.permute(self, tuple(reversed(range(self.ndim))))

    @property
    def mT(self):
        return ops.transpose(self, -2, -1)

    @property
    def data(self):
        return ops.detach(self)

    @data.setter
    def data(self, value):
        with dispatch.no_grad():
            self.copy_(value)


def to_array(data, dtype=None):
    """Python data / NumPy arrays -> ndarray. Python floats become float32, ints int64, as in
    torch.tensor; NumPy arrays keep their dtype unless `dtype` is given."""
    dtype = as_dtype(dtype)
    if isinstance(data, np.ndarray):
        arr = data
    elif isinstance(data, np.generic):
        arr = np.asarray(data)
    else:
        arr = np.asarray(_unwrap_nested(data))
        if dtype is None:
            if arr.dtype.kind == "f":
                arr = arr.astype(default_float())
            elif arr.dtype.kind in "iu":
                arr = arr.astype(np.int64)
    if dtype is not None and arr.dtype != dtype:
        arr = arr.astype(dtype)
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"tensor: unsupported data of dtype {arr.dtype} "
                        f"(use numbers, booleans or numeric arrays)")
    if arr.dtype.kind == "u" and arr.dtype != np.uint8:
        arr = arr.astype(np.int64)
    return arr


def _unwrap_nested(data):
    if isinstance(data, Tensor):
        return data._concrete("converting a tensor to an array")
    if isinstance(data, (list, tuple)):
        return [_unwrap_nested(x) for x in data]
    return data


from graphgrad import autograd, dispatch, ops  # noqa: E402  (circular: ops build Tensors)
