"""glia.nn containers (Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict)
and shape-only layers (Identity, Flatten, Unflatten), as in torch.nn."""
import math
import operator
from collections import OrderedDict
from collections.abc import Iterable, Mapping

import glia
from glia._C import Tensor
from glia.nn.module import Module
from glia.nn.parameter import Parameter

__all__ = ["Flatten", "Identity", "ModuleDict", "ModuleList", "ParameterDict", "ParameterList",
           "Sequential", "Unflatten"]


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


def _set_entry(module, name, value):
    """Registers a tensor as the Parameter `name` (a plain tensor is wrapped, sharing its
    memory, as torch); any other value (None, a number) becomes a plain attribute."""
    if isinstance(value, Tensor) and not isinstance(value, Parameter):
        value = Parameter(value)
    setattr(module, name, value)


def _entries_repr(module, items):
    """torch's repr of a ParameterList/Dict: one line per entry, "Name(line)" for one entry
    and "Name(\n  lines\n)" for more."""
    lines = []
    for k, p in items:
        if isinstance(p, Tensor):
            kind = "Parameter" if isinstance(p, Parameter) else "Tensor"
            size = "x".join(str(s) for s in p.shape)
            lines.append(f"  ({k}): {kind} containing: [{p.dtype} of size {size}]")
        else:
            lines.append(f"  ({k}): Object of type: {type(p).__name__}")
    name = type(module).__name__
    if len(lines) <= 1:
        return f"{name}({''.join(lines)})"
    return f"{name}(\n  " + "\n  ".join(lines) + "\n)"


class ParameterList(Module):
    """A list of Parameters registered as "0", "1", ..., so that parameters() and
    state_dict() see them; tensors are wrapped in Parameter. It has no forward."""

    def __init__(self, values=None):
        super().__init__()
        self._size = 0
        if values is not None:
            self.extend(values)

    def _name(self, idx):
        return str(_norm_index("ParameterList", idx, len(self)))

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)([self[i] for i in range(*idx.indices(len(self)))])
        return getattr(self, self._name(idx))

    def __setitem__(self, idx, value):
        _set_entry(self, self._name(idx), value)

    def __len__(self):
        return self._size

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __iadd__(self, values):
        return self.extend(values)

    def append(self, value):
        """Adds `value` at the end; returns self."""
        self._size += 1
        self[self._size - 1] = value
        return self

    def extend(self, values):
        if not isinstance(values, Iterable) or isinstance(values, Tensor):
            raise TypeError(f"ParameterList.extend: expected an iterable of parameters, got "
                            f"{type(values).__name__}")
        for value in values:
            self.append(value)
        return self

    def __call__(self, *args, **kwargs):
        raise RuntimeError("ParameterList should not be called; index or iterate over it")

    def __repr__(self):
        return _entries_repr(self, enumerate(self))


class ParameterDict(Module):
    """An ordered dict of Parameters registered under their (string) keys; tensors are
    wrapped in Parameter. A plain dict given to the constructor or update() is added in
    sorted key order, an OrderedDict or ParameterDict in its own order (as torch)."""

    def __init__(self, parameters=None):
        super().__init__()
        self._keys = {}
        if parameters is not None:
            self.update(parameters)

    @staticmethod
    def _check_key(key):
        if not isinstance(key, str):
            raise TypeError(f"ParameterDict: keys must be strings, got {type(key).__name__}")

    def __getitem__(self, key):
        self._check_key(key)
        if key not in self._keys:
            raise KeyError(key)
        return getattr(self, key)

    def __setitem__(self, key, value):
        self._check_key(key)
        # a key such as "training" or "update" would hide the module's own attribute
        if key not in self._keys and (key in self.__dict__ or hasattr(type(self), key)):
            raise KeyError(f"ParameterDict: key {key!r} is already an attribute of the module")
        self._keys[key] = None
        _set_entry(self, key, value)

    def __delitem__(self, key):
        self._check_key(key)
        del self._keys[key]
        delattr(self, key)

    def __len__(self):
        return len(self._keys)

    def __iter__(self):
        return iter(self._keys)

    def __reversed__(self):
        return reversed(self._keys)

    def __contains__(self, key):
        return key in self._keys

    def keys(self):
        return self._keys.keys()

    def items(self):
        return ((k, self[k]) for k in self._keys)

    def values(self):
        return (self[k] for k in self._keys)

    def get(self, key, default=None):
        return self[key] if key in self else default

    def setdefault(self, key, default=None):
        if key not in self:
            self[key] = default
        return self[key]

    def pop(self, key):
        value = self[key]
        del self[key]
        return value

    def popitem(self):
        """Removes and returns the last (key, value) added."""
        if not self._keys:
            raise KeyError("popitem(): ParameterDict is empty")
        key = next(reversed(self._keys))
        return key, self.pop(key)

    def clear(self):
        for key in list(self._keys):
            del self[key]

    def copy(self):
        return ParameterDict(OrderedDict((k, self[k]) for k in self._keys))

    def fromkeys(self, keys, default=None):
        return ParameterDict((k, default) for k in keys)

    def update(self, parameters):
        """Adds (key, value) pairs from a mapping or an iterable of pairs."""
        if isinstance(parameters, (OrderedDict, ParameterDict)):
            items = list(parameters.items())
        elif isinstance(parameters, Mapping):
            items = sorted(parameters.items())
        elif isinstance(parameters, Iterable) and not isinstance(parameters, Tensor):
            items = list(parameters)
        else:
            raise TypeError(f"ParameterDict.update: expected a mapping or an iterable of "
                            f"(key, value) pairs, got {type(parameters).__name__}")
        for i, pair in enumerate(items):
            if not isinstance(pair, Iterable) or len(pair) != 2:
                raise ValueError(f"ParameterDict.update: element #{i} must be a (key, value) "
                                 f"pair, got {pair!r}")
            self[pair[0]] = pair[1]

    def __or__(self, other):
        out = self.copy()
        out.update(other)
        return out

    def __ror__(self, other):
        out = ParameterDict(other) if not isinstance(other, ParameterDict) else other.copy()
        out.update(self)
        return out

    def __ior__(self, other):
        self.update(other)
        return self

    def __call__(self, *args, **kwargs):
        raise RuntimeError("ParameterDict should not be called; index it by key")

    def __repr__(self):
        return _entries_repr(self, self.items())


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
