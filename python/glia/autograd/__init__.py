"""Automatic differentiation: grad mode, functional gradients and gradient checks."""
from glia.autograd.functional import backward, grad  # noqa: F401
from glia.autograd.gradcheck import gradcheck  # noqa: F401
from glia.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled  # noqa: F401
from glia.autograd.function import Function, FunctionCtx, once_differentiable  # noqa: F401
