"""Finite-difference checks of analytic gradients (use float64 inputs)."""
import numpy as np

from glia import _C
from glia.autograd.functional import grad


def _numerical_jacobian_vjp(fn, inputs, index, cotangents, eps):
    """d(sum_k <cotangent_k, output_k>)/d(inputs[index]) by central differences."""
    import glia

    x = inputs[index]
    base = x.detach().numpy().copy()
    flat = base.reshape(-1)
    out = np.zeros_like(flat)
    with glia.no_grad():
        for i in range(flat.size):
            vals = []
            for sign in (1.0, -1.0):
                pert = flat.copy()
                pert[i] += sign * eps
                args = list(inputs)
                args[index] = glia.tensor(pert.reshape(base.shape), dtype=x.dtype)
                outs = fn(*args)
                outs = outs if isinstance(outs, (tuple, list)) else (outs,)
                vals.append(builtins_sum(float((o.detach().numpy() * c).sum())
                                         for o, c in zip(outs, cotangents)))
            out[i] = (vals[0] - vals[1]) / (2 * eps)
    return out.reshape(base.shape)


def builtins_sum(it):
    total = 0.0
    for v in it:
        total += v
    return total


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, seed=0):
    """Compares autograd's gradients of `fn` at `inputs` with central finite differences.

    The outputs are contracted with fixed random cotangents, so every output element and
    every input element is checked (a symmetric bug cannot hide behind a plain sum).

    Args:
        fn: function of the input tensors returning a tensor or a tuple of tensors.
        inputs: tuple of tensors; those with requires_grad=True are checked (use float64).
    Returns:
        True if all gradients match; otherwise raises (or returns False if not raise_exception).
    """
    import glia

    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    rng = np.random.default_rng(seed)
    outs = fn(*inputs)
    outs = outs if isinstance(outs, (tuple, list)) else (outs,)
    cotangents = [rng.standard_normal(o.shape) for o in outs]
    diff_inputs = [i for i, t in enumerate(inputs) if isinstance(t, _C.Tensor) and t.requires_grad]
    if not diff_inputs:
        raise ValueError("gradcheck: no input requires grad")
    for i in diff_inputs:
        if inputs[i].dtype != glia.float64:
            raise TypeError(f"gradcheck: input {i} is {inputs[i].dtype}; use float64 for a "
                            "meaningful finite-difference check")
    live = [(o, c) for o, c in zip(outs, cotangents) if o.requires_grad]
    if live:
        total = builtins_sum_tensors([(o * glia.tensor(c, dtype=o.dtype)).sum() for o, c in live])
        analytic = grad([total], [inputs[i] for i in diff_inputs], allow_unused=True)
    else:
        analytic = [None] * len(diff_inputs)
    for k, i in enumerate(diff_inputs):
        numeric = _numerical_jacobian_vjp(fn, inputs, i, cotangents, eps)
        a = np.zeros_like(numeric) if analytic[k] is None else analytic[k].numpy()
        if a.shape != numeric.shape or not np.allclose(a, numeric, atol=atol, rtol=rtol):
            if not raise_exception:
                return False
            err = np.max(np.abs(a - numeric)) if a.shape == numeric.shape else "shape mismatch"
            raise RuntimeError(f"gradcheck: gradient of input {i} differs from finite differences "
                               f"(max abs error {err})\nanalytic:\n{a}\nnumerical:\n{numeric}")
    return True


def builtins_sum_tensors(ts):
    total = ts[0]
    for t in ts[1:]:
        total = total + t
    return total
