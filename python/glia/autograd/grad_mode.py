"""Turning gradient tracking off and on (thread-local, as in PyTorch)."""
import functools

from glia import _C

is_grad_enabled = _C.is_grad_enabled


class _GradMode:
    """Context manager and decorator that sets grad mode to `self._mode`."""

    _mode = True

    def __enter__(self):
        self._prev = _C.is_grad_enabled()
        _C._set_grad_enabled(self._mode)
        return self

    def __exit__(self, *exc):
        _C._set_grad_enabled(self._prev)
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):
    """Disables gradient tracking: `with glia.no_grad(): ...` or `@glia.no_grad()`."""

    _mode = False


class enable_grad(_GradMode):
    """Enables gradient tracking inside a no_grad region."""

    _mode = True


class set_grad_enabled(_GradMode):
    """Sets grad mode to `mode`; usable as a function call, context manager or decorator."""

    def __init__(self, mode):
        self._mode = mode
        self._prev = _C.is_grad_enabled()
        _C._set_grad_enabled(mode)

    def __enter__(self):
        return self

    def __call__(self, fn):
        mode = self._mode
        _C._set_grad_enabled(self._prev)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper
