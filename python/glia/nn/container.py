"""glia.nn containers (Sequential, ModuleList, ModuleDict) and shape-only layers
(Identity, Flatten, Unflatten), as in torch.nn."""
import math
import operator
from collections import OrderedDict

import glia
from glia.nn.module import Module

__all__ = ["Flatten", "Identity", "ModuleDict", "ModuleList", "Sequential", "Unflatten"]


def _check_module(owner, module):
    if not isinstance(module, Module):
        raise TypeError(f"{owner}: {type(module).__name__} is not a Module")
    return module


def _renumber(module, mods):
    """Replaces module's children by `mods` named "0", "1", ... (in place: the dict is
    shared with Module's registry)."""
    module._modules.clear()
    for i, m in enumerate(mods):
        module._modules[str(i)] = m


def _norm_index(owner, idx, n):
    """A Python index (possibly negative) as a position in [0, n)."""
    idx = operator.index(idx)
    if not -n <= idx < n:
        raise IndexError(f"{owner}: index {idx} is out of range for length {n}")
    return idx + n if idx < 0 else idx


class _ModuleSequence(Module):
    """What Sequential and ModuleList share: sub-modules numbered 0..n-1 in order."""

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __delitem__(self, idx):
        mods = list(self._modules.values())
        if isinstance(idx, slice):
            del mods[idx]
        else:
            del mods[_norm_index(type(self).__name__, idx, len(mods))]
        _renumber(self, mods)  # indices stay 0..n-1 after a deletion, as in torch

    def append(self, module):
        """Adds `module` at the end; returns self."""
        self.add_module(str(len(self)), _check_module(type(self).__name__, module))
        return self

    def extend(self, modules):
        for m in modules:
            self.append(m)
        return self


class Sequential(_ModuleSequence):
    """Runs its modules in order, feeding each output to the next.

    Sequential(m1, m2, ...) names the children "0", "1", ...;
    Sequential(OrderedDict([("fc", m1), ...])) keeps the given names.
    """

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, module in args[0].items():
                self.add_module(name, _check_module("Sequential", module))
        else:
            for i, module in enumerate(args):
                self.add_module(str(i), _check_module("Sequential", module))

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return Sequential(OrderedDict(list(self._modules.items())[idx]))
        return list(self._modules.values())[_norm_index("Sequential", idx, len(self))]

    def __setitem__(self, idx, module):
        key = list(self._modules)[_norm_index("Sequential", idx, len(self))]
        self._modules[key] = _check_module("Sequential", module)

    def forward(self, input):
        for module in self._modules.values():
            input = module(input)
        return input


class ModuleList(_ModuleSequence):
    """A list of sub-modules, registered so that parameters() and state_dict() see them.
    It has no forward: index or iterate it in the owner's forward."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return ModuleList(list(self._modules.values())[idx])
        return self._modules[str(_norm_index("ModuleList", idx, len(self)))]

    def __setitem__(self, idx, module):
        self._modules[str(_norm_index("ModuleList", idx, len(self)))] = \
            _check_module("ModuleList", module)

    def insert(self, index, module):
        mods = list(self._modules.values())
        mods.insert(index, _check_module("ModuleList", module))
        _renumber(self, mods)

    def __iadd__(self, modules):
        return self.extend(modules)

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleList has no forward(); iterate over its modules")

    def __repr__(self):
        # runs of identical children print once, "(0-11): 12 x Block(...)", as in torch
        reprs = [repr(m) for m in self]
        if not reprs:
            return "ModuleList()"
        runs = []  # [first index, last index, repr]
        for i, r in enumerate(reprs):
            if runs and runs[-1][2] == r:
                runs[-1][1] = i
            else:
                runs.append([i, i, r])
        lines = [f"({a}): {r}" if a == b else f"({a}-{b}): {b - a + 1} x {r}"
                 for a, b, r in runs]
        return "ModuleList(\n  " + "\n  ".join(s.replace("\n", "\n  ") for s in lines) + "\n)"


class ModuleDict(Module):
    """An ordered dict of named sub-modules, registered like attributes."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def __getitem__(self, key):
        return self._modules[key]

    def __setitem__(self, key, module):
        if not isinstance(key, str):
            raise TypeError(f"ModuleDict: keys must be strings, got {type(key).__name__}")
        self.add_module(key, _check_module("ModuleDict", module))

    def __delitem__(self, key):
        del self._modules[key]

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()

    def pop(self, key):
        return self._modules.pop(key)

    def clear(self):
        self._modules.clear()

    def update(self, modules):
        """Adds (name, module) pairs from a mapping or an iterable of pairs."""
        items = modules.items() if hasattr(modules, "items") else modules
        for key, module in items:
            self[key] = module

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleDict has no forward(); index it by name")


class Identity(Module):
    """Returns its input unchanged; accepts and ignores any constructor arguments."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Flatten(Module):
    """Flattens dims start_dim..end_dim into one.

    Shapes: (N, *dims) -> (N, prod(dims)) with the defaults.
    """

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input):
        return glia.flatten(input, self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Expands dim `dim` into `unflattened_size` (one entry may be -1).

    Shapes: (*, S, *) -> (*, *unflattened_size, *) with prod(unflattened_size) == S.
    """

    def __init__(self, dim, unflattened_size):
        super().__init__()
        if not isinstance(unflattened_size, (tuple, list)) or not unflattened_size:
            raise TypeError("Unflatten: unflattened_size must be a non-empty tuple or list of "
                            f"ints, got {unflattened_size!r}")
        self.dim = dim
        self.unflattened_size = tuple(unflattened_size)

    def forward(self, input):
        n = input.dim()
        if not -n <= self.dim < n:
            raise IndexError(f"Unflatten: dim {self.dim} is out of range for an input of shape "
                             f"{tuple(input.shape)}")
        d = self.dim % n
        shape = tuple(input.shape)
        size = shape[d]
        sizes = self.unflattened_size
        known = math.prod(s for s in sizes if s != -1)
        if sizes.count(-1) == 1 and known > 0 and size % known == 0:
            sizes = tuple(size // known if s == -1 else s for s in sizes)
        if -1 in sizes or math.prod(sizes) != size:
            raise ValueError(f"Unflatten: unflattened_size {self.unflattened_size} does not "
                             f"multiply to the size {size} of dim {self.dim} of input "
                             f"shape {shape}")
        return input.reshape(shape[:d] + sizes + shape[d + 1:])

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
