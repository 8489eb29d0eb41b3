"""Spectral normalization, as torch.nn.utils.spectral_norm (Miyato et al., 2018).

W_sn = W / sigma(W), where sigma is the largest singular value of W reshaped to a matrix
(dim `dim` first), estimated by power iteration: v = norm(W^T u), u = norm(W v),
sigma = u^T W v. u and v persist as buffers, so one iteration per training step suffices.
"""
import glia
from glia.nn.parameter import Parameter

__all__ = ["spectral_norm", "remove_spectral_norm"]


def _normalize(x, eps):
    return x / glia.clamp(glia.norm(x), min=eps)


class _SpectralNorm:
    """Recomputes module.<name> from <name>_orig, <name>_u and <name>_v."""

    def __init__(self, name, n_power_iterations, dim, eps):
        self.name = name
        self.n_power_iterations = n_power_iterations
        self.dim = dim
        self.eps = eps

    def weight_matrix(self, weight):
        """(size of dim `dim`, everything else), as torch."""
        if self.dim != 0:
            weight = glia.movedim(weight, self.dim, 0)
        return weight.reshape(weight.shape[0], -1)

    def compute_weight(self, module, do_power_iteration):
        weight = getattr(module, self.name + "_orig")
        u = getattr(module, self.name + "_u")
        v = getattr(module, self.name + "_v")
        mat = self.weight_matrix(weight)
        if do_power_iteration:
            with glia.no_grad():
                for _ in range(self.n_power_iterations):
                    v = _normalize(glia.matmul(mat.t(), u), self.eps)
                    u = _normalize(glia.matmul(mat, v), self.eps)
                # update the buffers in place; sigma below keeps the fresh copies, which no
                # later step modifies before backward
                getattr(module, self.name + "_u").copy_(u)
                getattr(module, self.name + "_v").copy_(v)
        # u and v are constants: the gradient flows through W in both W and sigma
        sigma = glia.dot(u, glia.matmul(mat, v))
        return weight / sigma


class _NormalizedForward:
    """Stands in for module.forward: recomputes every normalized weight (power iteration
    only in training mode), then runs the original forward, so it works for any Module
    whose forward reads the weight attribute. An object, not a closure, so that a deep
    copy of the module rebinds it to the copy."""

    def __init__(self, module, inner):
        self.module = module
        self.inner = inner

    def __call__(self, *args, **kwargs):
        m = self.module
        for fn in m._spectral_norms.values():
            setattr(m, fn.name, fn.compute_weight(m, m.training))
        return self.inner(*args, **kwargs)


def _wrap_forward(module):
    module.__dict__["_spectral_norm_prev_forward"] = module.__dict__.get("forward")
    object.__setattr__(module, "forward", _NormalizedForward(module, module.forward))


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Replaces the Parameter `name` of `module` by its spectrally normalized value.

    The learnable tensor becomes `<name>_orig` (a Parameter); `<name>_u` (h,) and `<name>_v`
    (w,) are buffers holding the power-iteration vectors (random at first). Before each
    forward, `<name>` is set to `<name>_orig / sigma`; in eval mode u, v stay fixed. As in
    torch, `<name>` holds the raw weight until the first forward.

    Args:
        n_power_iterations: power-iteration steps per training forward (>= 1).
        eps: floor of the norms when normalizing u and v.
        dim: the output dim of the weight; None means 0 (1 for ConvTranspose modules).
    Returns:
        the module.
    """
    norms = module.__dict__.setdefault("_spectral_norms", {})
    if name in norms:
        raise RuntimeError(f"spectral_norm: {type(module).__name__}.{name} is already "
                           "spectrally normalized")
    weight = module._parameters.get(name)
    if not isinstance(weight, Parameter):
        raise ValueError(f"spectral_norm: {type(module).__name__} has no Parameter {name!r}")
    if n_power_iterations <= 0:
        raise ValueError(f"spectral_norm: n_power_iterations must be positive, got "
                         f"{n_power_iterations}")
    if dim is None:
        dim = 1 if type(module).__name__.startswith("ConvTranspose") else 0
    if not -weight.dim() <= dim < weight.dim():
        raise ValueError(f"spectral_norm: dim {dim} is out of range for weight shape "
                         f"{tuple(weight.shape)}")
    fn = _SpectralNorm(name, n_power_iterations, dim % weight.dim(), eps)
    with glia.no_grad():
        h, w = fn.weight_matrix(weight).shape
        u = _normalize(glia.randn(h, dtype=weight.dtype), eps)
        v = _normalize(glia.randn(w, dtype=weight.dtype), eps)
    del module._parameters[name]
    module.register_parameter(name + "_orig", weight)
    module.register_buffer(name + "_u", u)
    module.register_buffer(name + "_v", v)
    setattr(module, name, weight.detach())
    norms[name] = fn
    if len(norms) == 1:
        _wrap_forward(module)
    return module


def remove_spectral_norm(module, name="weight"):
    """Undoes spectral_norm: `name` becomes a Parameter holding the current normalized
    weight (computed with the stored u, v), and the buffers go away."""
    norms = module.__dict__.get("_spectral_norms", {})
    if name not in norms:
        raise ValueError(f"remove_spectral_norm: {type(module).__name__}.{name} is not "
                         "spectrally normalized")
    fn = norms.pop(name)
    with glia.no_grad():
        weight = fn.compute_weight(module, False)
    module.__dict__.pop(name, None)
    del module._parameters[name + "_orig"]
    del module._buffers[name + "_u"]
    del module._buffers[name + "_v"]
    module.register_parameter(name, Parameter(weight.detach()))
    if not norms:
        prev = module.__dict__.pop("_spectral_norm_prev_forward")
        if prev is None:
            del module.__dict__["forward"]
        else:
            module.__dict__["forward"] = prev
    return module
