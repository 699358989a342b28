"""Python source for one op application, shared by the runtime's generated schedules and the
fused kernels: NumPy ufuncs and ops with an `Op.expr` template are called inline (no Python
wrapper frame per instruction); anything else calls its bound kernel."""
import numpy as np


def call_expr(op, attrs, in_types, args, out, env, key):
    """An expression computing `op(*args, **attrs)`, into array `out` when `out` is not None.

    `env` receives the objects the expression refers to; `key` makes their names unique.
    """
    impl = op.ufunc
    if impl is not None and not attrs:
        # a ufunc is called inline, unless the op has a kernel of its own for these types
        factory = op.kernel if out is None else op.out_kernel
        special = factory(in_types) if factory is not None else None
        if special is None:
            name = f"_u_{impl.__name__}"
            env[name] = impl
            return f"{name}({', '.join(args)}" + (f", out={out})" if out is not None else ")")
        env[f"_sp{key}"] = special
        return f"_sp{key}({', '.join(([out] if out is not None else []) + list(args))})"
    if op.expr is not None:
        env.setdefault("_np", np)
        text = op.expr(list(args), out, in_types, **attrs)
        if text is not None:
            return text
    if out is not None:
        env[f"o{key}"] = op.make_out_kernel(attrs, in_types)
        return f"o{key}({', '.join([out] + list(args))})"
    env[f"k{key}"] = op.make_kernel(in_types, attrs)
    return f"k{key}({', '.join(args)})"

