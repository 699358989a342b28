"""Tensor: a NumPy array in eager mode, an IR value while tracing. Every operator calls an op
function from `graphgrad.ops`, which calls `graphgrad.dispatch.bind`.

In-place methods (`add_`, `t[i] = v`, `+=`, ...) rebind the tensor to a new array (eager) or to a
new IR value (traced, i.e. functionalized) and bump its version counter; a tensor that autograd
saved and that was later mutated raises at backward, as in PyTorch.
"""
import numpy as np

from graphgrad.errors import AutogradError, DTypeError, ShapeError, TraceError
from graphgrad.ir.graph import Value
from graphgrad.diagnostics import data_dependent_error
from graphgrad.dtypes import can_cast, default_float
from graphgrad.ir.types import as_dtype
from graphgrad.modes import active_recorder, grad_enabled, no_grad

_new = object.__new__


class Tensor:
    __slots__ = ("_data", "_requires_grad", "_grad", "_grad_fn", "_out_index", "_vc", "_view",
                 "__weakref__", "__dict__")
    # NumPy scalars and arrays on the left of an operator defer to the tensor's reflected
    # operator (np.float32(2) * t is a Tensor, as in torch), instead of converting the tensor
    __array_priority__ = 1000

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
        self._view = None
        if requires_grad:
            self.requires_grad_(True)

    # -- constructors used by the framework (no checks) -----------------------------------------
    @staticmethod
    def _wrap(array):
        t = _new(Tensor)
        t._data = array
        t._requires_grad = False
        t._grad = None
        t._grad_fn = None
        t._out_index = 0
        t._vc = None
        t._view = None      # (base, view op, other inputs, attrs) when a view of `base`
        return t

    @classmethod
    def _from_op(cls, array, op, attrs, inputs, vc=None):
        t = Tensor._wrap(array)
        t._vc = vc
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
        data = self._data
        if type(data) is np.ndarray:
            return data.size
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
            raise DTypeError(f"requires_grad_: only floating-point tensors can require gradients, "
                            f"this one is {self._data.dtype}")
        if self._grad_fn is not None and not requires_grad:
            raise AutogradError("requires_grad_(False) on a tensor computed by an op: use "
                                ".detach() instead")
        self._requires_grad = requires_grad
        recorder = active_recorder()
        if recorder is not None and requires_grad and type(self._data) is Value:
            recorder.mark_leaf(self)
        return self

    @property
    def grad(self):
        recorder = active_recorder()
        if recorder is not None:
            return recorder.read_grad(self)
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"grad must be a Tensor or None, got {type(value).__name__}")
            if value.shape != self.shape or value.dtype != self.dtype:
                raise ShapeError(f"assigning grad of {value.shape} {value.dtype} to a tensor of "
                                 f"{self.shape} {self.dtype}")
        recorder = active_recorder()
        if recorder is not None:
            recorder.write_grad(self, value)
        else:
            self._grad = value

    def backward(self, gradient=None, retain_graph=False):
        """Accumulate d(self)/d(leaf) into every leaf's `.grad` (PyTorch semantics)."""
        recorder = active_recorder()
        if recorder is not None:
            recorder.backward(self, gradient)
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
            raise ShapeError(f"the truth value of a tensor with {data.size} elements is "
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
        return int(data.item())     # also for a one-element 1-d tensor, as torch

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

    def __deepcopy__(self, memo):
        """copy.deepcopy of a leaf tensor (so of a module, as nn.TransformerEncoder does): new
        data, the same class and requires_grad, a copied grad, like torch."""
        if self._grad_fn is not None:
            raise AutogradError("copy.deepcopy: only tensors created by the user (graph leaves) "
                                "can be deep-copied; detach() it first")
        import copy
        new = object.__new__(type(self))
        memo[id(self)] = new
        new._data = self._concrete("copy.deepcopy(tensor)").copy()
        new._requires_grad = self._requires_grad
        new._grad = None if self._grad is None else copy.deepcopy(self._grad, memo)
        new._grad_fn = None
        new._out_index = 0
        new._vc = None
        new._view = None
        new.__dict__.update(copy.deepcopy(self.__dict__, memo))
        return new

    # -- conversions ----------------------------------------------------------------------------
    def astype(self, dtype):
        return ops.cast(self, as_dtype(dtype))

    def to(self, *args, **kwargs):
        """t.to(dtype), t.to(device), t.to(device, dtype), t.to(other_tensor), with torch's
        non_blocking= and copy=: returns `t` itself when nothing changes (unless copy=True)."""
        _, dtype, copy = _device.to_args(args, kwargs, "Tensor.to", Tensor)
        if dtype is not None and dtype != self.dtype:
            return self.astype(dtype)
        return ops.clone(self) if copy else self

    def cpu(self, memory_format=None):
        return self

    def cuda(self, device=None, non_blocking=False, memory_format=None):
        raise _device.unavailable("cuda", "Tensor.cuda()")

    @property
    def device(self):
        return _device.CPU

    is_cuda = False
    is_cpu = True
    is_meta = False

    def get_device(self):
        return -1               # torch's answer for a CPU tensor

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
        """Compute `compute(snapshot_of_self)` and store the result in self's own memory, as
        torch's in-place ops do: views of the tensor, NumPy arrays sharing its memory and the
        base it is a view of all see the change (functionally, while tracing)."""
        recorder = active_recorder()
        leaf = self._grad_fn is None if recorder is None else recorder.is_leaf(self)
        if self._requires_grad and grad_enabled():
            if leaf:
                raise AutogradError(f"{name}: a leaf tensor that requires grad is used in an "
                                    "in-place operation; wrap the update in "
                                    "`with gg.no_grad():`")
            if self._view is not None:
                raise AutogradError(f"{name}: in-place update of a view of a tensor that "
                                    "requires grad is not supported; update the base tensor, "
                                    "or compute out of place")
        if recorder is not None:
            new = compute(self)    # traced values are immutable: no snapshot needed
        else:
            data = self._data
            if not data.flags.writeable:
                raise ValueError(f"{name}: the tensor's memory is read-only (a read-only NumPy "
                                 f"array, e.g. memory-mapped, or an expanded view); clone() it "
                                 f"first (tensor of shape {self.shape})")
            # the op reads a snapshot: under grad mode a copy, since its autograd node may keep
            # it while self's memory is overwritten below
            snapshot = Tensor._wrap(data.copy() if grad_enabled() else data)
            snapshot._requires_grad = self._requires_grad
            snapshot._grad_fn = self._grad_fn
            snapshot._out_index = self._out_index
            new = compute(snapshot)
        if new.shape != self.shape:
            raise ShapeError(f"{name}: the result has shape {new.shape}, the tensor updated in "
                             f"place has {self.shape}")
        if new.dtype != self.dtype:
            if not can_cast(new.dtype, self.dtype):
                raise DTypeError(f"{name}: result type {new.dtype} can't be cast to the tensor's "
                                f"dtype {self.dtype}")
            new = ops.cast(new, self.dtype)
        if recorder is None and new._grad_fn is None and self._grad_fn is not None \
                and grad_enabled():
            # the new value does not depend on the old one (zero_, fill_, copy_): keep self in
            # the graph with a zero gradient for the old value, as torch does
            new = ops.where(True, new, snapshot)
        if recorder is not None:
            recorder.assign(self, new)
        else:
            self._write(new._data)
            if new._grad_fn is not None:
                self._grad_fn = new._grad_fn
                self._out_index = new._out_index
                self._requires_grad = True
        return self

    def _write(self, array):
        """Store `array`'s values in this tensor's own memory (so views and NumPy arrays that
        share it see them) and bump its version; a new shape or dtype rebinds instead."""
        data = self._data
        if type(data) is np.ndarray and data.shape == array.shape and data.dtype == array.dtype:
            if data is not array:
                np.copyto(data, array)
        else:
            self._data = array
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
        if isinstance(value, Tensor):
            if value.ndim != 0:
                raise ShapeError(f"fill_: the value must be a number or a 0-d tensor, got shape "
                                 f"{value.shape}")
            return self.copy_(value)      # differentiable in the value, as in torch
        return self._inplace(lambda s: ops.full_like(s, value), "fill_")

    def copy_(self, src):
        return self._inplace(lambda s: _copy_value(s, src), "copy_")

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
    # the common case, tensors of one dtype, binds the primitive directly (what ops.add and the
    # others do after finding that no promotion is needed)
    # tensors of one dtype, and a tensor with a Python number it keeps its dtype for, bind the
    # primitive directly (what ops.add and the others do after finding no promotion needed)
    def __add__(self, other):
        if isinstance(other, Tensor):
            if other._data.dtype == self._data.dtype:
                return bind(_OPS.ADD, self, other)
        else:
            c = _number(self, other)
            if c is not None:
                return bind(_OPS.ADD, self, c)
        return ops.add(self, other)

    def __radd__(self, other):
        c = _number(self, other)
        return ops.add(other, self) if c is None else bind(_OPS.ADD, c, self)

    def __sub__(self, other):
        if isinstance(other, Tensor):
            if other._data.dtype == self._data.dtype:
                return bind(_OPS.SUB, self, other)
        else:
            c = _number(self, other)
            if c is not None:
                return bind(_OPS.SUB, self, c)
        return ops.sub(self, other)

    def __rsub__(self, other):
        c = _number(self, other)
        return ops.sub(other, self) if c is None else bind(_OPS.SUB, c, self)

    def __mul__(self, other):
        if isinstance(other, Tensor):
            if other._data.dtype == self._data.dtype:
                return bind(_OPS.MUL, self, other)
        else:
            c = _number(self, other)
            if c is not None:
                return bind(_OPS.MUL, self, c)
        return ops.mul(self, other)

    def __rmul__(self, other):
        c = _number(self, other)
        return ops.mul(other, self) if c is None else bind(_OPS.MUL, c, self)

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
        if isinstance(other, Tensor) and other._data.dtype == self._data.dtype and \
                len(self._data.shape) >= 2 and len(other._data.shape) >= 2:
            return bind(_OPS.MATMUL, self, other)
        return ops.matmul(self, other)

    def __rmatmul__(self, other):
        return ops.matmul(other, self)

    def __neg__(self):
        return bind(_OPS.NEG, self)

    def __pos__(self):
        return self

    def __abs__(self):
        return ops.abs(self)

    def __eq__(self, other):
        c = _number(self, other)
        return ops.eq(self, other) if c is None else bind(_OPS.EQ, self, c)

    def __ne__(self, other):
        c = _number(self, other)
        return ops.ne(self, other) if c is None else bind(_OPS.NE, self, c)

    def __lt__(self, other):
        c = _number(self, other)
        return ops.lt(self, other) if c is None else bind(_OPS.LT, self, c)

    def __le__(self, other):
        c = _number(self, other)
        return ops.le(self, other) if c is None else bind(_OPS.LE, self, c)

    def __gt__(self, other):
        c = _number(self, other)
        return ops.gt(self, other) if c is None else bind(_OPS.GT, self, c)

    def __ge__(self, other):
        c = _number(self, other)
        return ops.ge(self, other) if c is None else bind(_OPS.GE, self, c)

    def __getitem__(self, index):
        return ops.getitem(self, index)

    @property
    def T(self):
        if len(self.shape) == 2:                      # the common case, quickly
            return bind(_OPS.PERMUTE, self, perm=(1, 0))
        return ops.permute(self, tuple(reversed(range(self.ndim))))

    @property
    def mT(self):
        return ops.transpose(self, -2, -1)

    @property
    def data(self):
        """The same memory, outside autograd: unlike `detach()`, changes made through it are
        not seen by autograd's checks (torch's `.data`)."""
        out = ops.detach(self)
        if type(out._data) is not Value:
            out._vc = None
        return out

    @data.setter
    def data(self, value):
        """`t.data = other`: t now uses `other`'s memory (eagerly; compiled, its values)."""
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be a Tensor, got {type(value).__name__}")
        if active_recorder() is not None:
            with no_grad():
                self.copy_(value)
            return
        if type(value._data) is Value:
            raise TraceError("t.data = traced_tensor: the traced value cannot leave its "
                             "compiled function")
        self._data = value._data


def _copy_value(s, src):
    """`src` broadcast to the shape and dtype of `s`, the new value of `s.copy_(src)`."""
    src_t = ops.broadcast_to(ops.as_tensor_like(src, s).astype(s.dtype), s.shape)
    if s.requires_grad and grad_enabled():
        # where(True, src, s): the old value stays in the graph with a zero gradient
        return ops.where(True, src_t, s)
    return src_t


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


from graphgrad import autograd, ops  # noqa: E402  (circular: ops build Tensors)
from graphgrad.dispatch import bind  # noqa: E402
from graphgrad.ops._core import const as _const  # noqa: E402

# the dtype kinds that keep their dtype when combined with a Python float / int
_WEAK = {float: "f", int: "iuf"}


def _number(t, x):
    """A Python float or int `x` as a constant of t's dtype when t keeps its dtype with it (weak
    scalar typing, as `operands` decides), else None."""
    kind = _WEAK.get(type(x))
    if kind is not None:
        dtype = t._data.dtype
        if dtype.kind in kind:
            return _const(x, dtype)
    return None


class _OPS:
    """The primitives the operators bind directly."""
    from graphgrad.ops.elementwise import ADD, EQ, GE, GT, LE, LT, MUL, NE, NEG, SUB
    from graphgrad.ops.linalg import MATMUL
    from graphgrad.ops.movement import PERMUTE
from graphgrad import devices as _device  # noqa: E402
