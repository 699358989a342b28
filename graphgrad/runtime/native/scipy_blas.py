"""numba calls BLAS through `scipy.linalg.cython_blas`, but importing that submodule first runs
`scipy.linalg`'s package, which takes 0.13-0.16 s (it imports NumPy's f2py and scipy's array
API layer), more than the rest of loading a cached step. `blas_loaded_alone()` loads the one
extension module on its own while numba compiles or loads a module and runs it once (numba
looks the BLAS functions up on their first call), then takes it back out of `sys.modules`, so a
later `import scipy.linalg.cython_blas` anywhere is an ordinary import again (it finds the same
extension module, already loaded)."""
import contextlib
import importlib.machinery
import importlib.util
import os
import sys
import threading

NAME = "scipy.linalg.cython_blas"
_lock = threading.Lock()
_users = [0]
_alone = []             # the module while it is loaded on its own


@contextlib.contextmanager
def blas_loaded_alone():
    with _lock:
        if _users[0] == 0 and "scipy.linalg" not in sys.modules and NAME not in sys.modules:
            _load_alone()
        _users[0] += 1
    try:
        yield
    finally:
        with _lock:
            _users[0] -= 1
            if _users[0] == 0:
                _release()


def _load_alone():
    try:
        import scipy
        folder = os.path.join(os.path.dirname(scipy.__file__), "linalg")
        spec = importlib.machinery.PathFinder.find_spec(NAME, [folder])
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    except Exception:               # numba then imports it the ordinary way
        return
    sys.modules[NAME] = module
    _alone.append(module)


def _release():
    if not _alone:
        return
    module = _alone.pop()
    if sys.modules.get(NAME) is not module:
        return
    linalg = sys.modules.get("scipy.linalg")
    if linalg is None:
        del sys.modules[NAME]       # its package never ran: import it normally next time
    elif not hasattr(linalg, "cython_blas"):
        linalg.cython_blas = module     # the package was imported meanwhile: link it in
