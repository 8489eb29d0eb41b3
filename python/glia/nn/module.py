"""nn.Module: the base class of every layer and model."""
from collections import OrderedDict

import glia
from glia._C import Tensor
from glia.nn.parameter import Buffer, Parameter


class Module:
    """Holds Parameters, buffers and sub-modules, found by attribute assignment.

    Subclasses define `forward`; calling the module runs it. Names, nesting and
    state_dict keys follow PyTorch, so a PyTorch state dict (converted through numpy)
    loads into the matching glia model.
    """

    training: bool

    def __init__(self):
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # ---- registration by assignment ----

    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError("Module.__init__() must be called before assigning attributes")
        if value is None and name in self._parameters:  # e.g. dropping a bias
            self._parameters[name] = None
            return
        if name in self._buffers and (value is None or isinstance(value, Tensor)):
            self._buffers[name] = value  # e.g. running statistics replaced by a new tensor
            return
        if name in self._parameters:
            if not isinstance(value, Parameter):
                raise TypeError(f"cannot assign {type(value).__name__} as parameter {name!r} "
                                "(nn.Parameter or None expected)")
            self._parameters[name] = value  # keeps its place in state_dict order
            return
        for store in (self._parameters, self._buffers, self._modules):
            store.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Buffer):
            self.register_buffer(name, value, value.persistent)
        elif isinstance(value, Module):
            self._modules[name] = value
        else:
            object.__setattr__(self, name, value)
            return
        self.__dict__.pop(name, None)

    def __getattr__(self, name):
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            if store in d and name in d[store]:
                return d[store][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for store in (self._parameters, self._buffers, self._modules):
            if name in store:
                del store[name]
                return
        object.__delattr__(self, name)

    def register_parameter(self, name, param):
        """Adds a Parameter (or None, for an absent optional one like a missing bias)."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: {name!r} must be a Parameter or None, "
                            f"got {type(param).__name__}")
        self.__dict__.pop(name, None)
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """Adds state that is not learned (running statistics), saved in state_dict if
        persistent."""
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"register_buffer: {name!r} must be a tensor or None")
        self.__dict__.pop(name, None)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)

    def register_module(self, name, module):
        self._modules[name] = module

    add_module = register_module

    # ---- traversal ----

    def named_modules(self, prefix="", memo=None):
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(prefix + ("." if prefix else "") + name, memo)

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        for name, child in self._modules.items():
            if child is not None:
                yield name, child

    def children(self):
        for _, c in self.named_children():
            yield c

    def named_parameters(self, prefix="", recurse=True):
        seen = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for mod_prefix, m in modules:
            for name, p in m._parameters.items():
                if p is None or id(p) in seen:
                    continue
                seen.add(id(p))
                yield mod_prefix + ("." if mod_prefix else "") + name, p

    def parameters(self, recurse=True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix="", recurse=True):
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for mod_prefix, m in modules:
            for name, b in m._buffers.items():
                if b is not None:
                    yield mod_prefix + ("." if mod_prefix else "") + name, b

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # ---- state ----

    def state_dict(self, prefix="", keep_vars=False):
        """Parameters and persistent buffers by dotted name, as detached tensors."""
        out = OrderedDict()
        for mod_prefix, m in self.named_modules(prefix.rstrip(".")):
            dot = mod_prefix + ("." if mod_prefix else "")
            for name, p in m._parameters.items():
                if p is not None:
                    out[dot + name] = p if keep_vars else p.detach()
            for name, b in m._buffers.items():
                if b is not None and name not in m._non_persistent:
                    out[dot + name] = b if keep_vars else b.detach()
        return out

    def load_state_dict(self, state_dict, strict=True):
        """Copies values into this module's parameters and buffers.

        With strict=True, missing or unexpected keys raise KeyError naming them; a shape
        mismatch always raises ValueError naming the key and both shapes. Returns
        (missing_keys, unexpected_keys).
        """
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        if strict and (missing or unexpected):
            parts = []
            if missing:
                parts.append(f"missing keys: {missing}")
            if unexpected:
                parts.append(f"unexpected keys: {unexpected}")
            raise KeyError(f"load_state_dict for {type(self).__name__}: " + "; ".join(parts))
        with glia.no_grad():
            for key, target in own.items():
                if key not in state_dict:
                    continue
                value = state_dict[key]
                if not isinstance(value, Tensor):
                    value = glia.tensor(value)
                if tuple(value.shape) != tuple(target.shape):
                    raise ValueError(f"load_state_dict: {key!r} has shape {tuple(value.shape)} in the "
                                     f"state dict but {tuple(target.shape)} in the model")
                target.copy_(value.to(target.dtype))
        return missing, unexpected

    # ---- modes and utilities ----

    def train(self, mode=True):
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Freezes (False) or unfreezes (True) every parameter, e.g. for fine-tuning."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                with glia.no_grad():
                    p.grad.zero_()

    def apply(self, fn):
        """Calls fn on every sub-module, then on self (e.g. to initialise weights)."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def to(self, *args, **kwargs):
        """Converts floating-point parameters and buffers to a dtype; 'cpu' is accepted."""
        dtype = kwargs.get("dtype")
        for a in args:
            if isinstance(a, glia.dtype):
                dtype = a
            elif isinstance(a, str) and a != "cpu":
                raise RuntimeError(f"to: device {a!r} is not available; glia was built for the CPU")
        if dtype is None:
            return self
        for m in self.modules():
            # in place, as PyTorch: optimizers built earlier keep seeing the same Parameters
            for p in m._parameters.values():
                if p is not None and p.dtype.is_floating_point and p.dtype != dtype:
                    grad = p.grad  # read first: a new dtype in p.data clears p.grad
                    p.data = p.data.to(dtype)
                    if grad is not None:
                        p.grad = grad.to(dtype)
            for name, b in m._buffers.items():
                if b is not None and b.dtype.is_floating_point and b.dtype != dtype:
                    m._buffers[name] = b.to(dtype)
        return self

    def float(self):
        return self.to(glia.float32)

    def double(self):
        return self.to(glia.float64)

    def cpu(self):
        return self

    # ---- repr ----

    def extra_repr(self):
        return ""

    def __repr__(self):
        lines = []
        for name, child in self._modules.items():
            child_repr = repr(child).replace("\n", "\n  ")
            lines.append(f"({name}): {child_repr}")
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"

    def __dir__(self):
        return list(super().__dir__()) + list(self._parameters) + list(self._buffers) + list(self._modules)
