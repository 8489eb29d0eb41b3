"""LazyModuleMixin: the shared mechanism of glia.nn's Lazy* layers (torch.nn.modules.lazy)."""
import glia


class LazyModuleMixin:
    """Lets a layer infer one size (in_features, in_channels or num_features) from its first
    input, then turn into the ordinary layer `cls_to_become`, as PyTorch's lazy modules.

    Until then the parameters and buffers named by `_lazy_shapes` are empty (0,)-shaped
    placeholders (torch's UninitializedParameter and UninitializedBuffer, whose shape cannot be
    read): parameters() and state_dict() list them and .to()/.double() convert them. The first
    forward fills them in place (the same Parameter objects, so an optimizer built earlier
    keeps them), initialises them with the layer's reset_parameters and sets the module's class
    to cls_to_become. load_state_dict before the first call takes the size from the shapes in
    the state dict.

    A subclass puts the mixin first among its bases, calls the layer's __init__ with size 0
    and sets:
        cls_to_become: the layer class the module becomes.
        _size_name: the attribute inferred, e.g. "in_channels".
        _infer_size(input): the size read from the first input (ValueError on a bad input).
        _lazy_shapes(size): {name: shape} of the placeholders once the size is known.
        _size_from(name, shape): the size a state dict entry implies, None if it implies none.
    """

    cls_to_become = None
    _lazy = True  # a class default: the layer's __init__ calls reset_parameters before ours runs
    _min_size = 1

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        with glia.no_grad():
            for _, t in self._lazy_tensors():  # replaces the size-0 tensors the layer made
                t.data = glia.empty(0, dtype=t.dtype)

    def _lazy_tensors(self):
        for name in self._lazy_shapes(0):
            t = self._parameters.get(name, self._buffers.get(name))
            if t is not None:
                yield name, t

    def has_uninitialized_params(self):
        """True until the size is known (from the first input or a state dict)."""
        return self._lazy

    def reset_parameters(self):
        if not self._lazy:
            super().reset_parameters()

    def _check_size(self, size, source):
        if size < self._min_size:
            raise ValueError(f"{type(self).__name__}: {self._size_name} inferred from {source} "
                             f"must be at least {self._min_size}, got {size}")

    def _materialize(self, size, source):
        self._check_size(size, source)
        shapes = self._lazy_shapes(size)
        with glia.no_grad():
            for name, t in self._lazy_tensors():
                t.data = glia.empty(shapes[name], dtype=t.dtype)
        setattr(self, self._size_name, size)
        self._lazy = False
        self.reset_parameters()

    def initialize_parameters(self, input, *args, **kwargs):
        """Infers the size from the input and creates and initialises the parameters (a no-op
        once they exist)."""
        if self._lazy:
            self._materialize(self._infer_size(input), f"input of shape {tuple(input.shape)}")

    def load_state_dict(self, state_dict, strict=True):
        if self._lazy:
            self._materialize_from(state_dict)
        return super().load_state_dict(state_dict, strict)

    def _materialize_from(self, state_dict):
        """Materialises with the size the first size-bearing entry implies; the base
        load_state_dict then checks the other shapes."""
        for name, _ in self._lazy_tensors():
            value = state_dict.get(name)
            if value is None or tuple(value.shape) == (0,):  # absent, or another placeholder
                continue
            shape, rank = tuple(value.shape), len(self._lazy_shapes(1)[name])
            size = self._size_from(name, shape) if len(shape) == rank else -1
            if size is None:  # e.g. a bias: its shape does not depend on the size
                continue
            if size < 0 or self._lazy_shapes(size)[name] != shape:
                want = f"a {rank}-D shape" if size < 0 else str(self._lazy_shapes(size)[name])
                raise ValueError(f"{type(self).__name__}.load_state_dict: {name!r} has shape "
                                 f"{shape}; expected {want}")
            self._materialize(size, f"{name!r} of shape {shape}")
            return

    def forward(self, *args, **kwargs):
        self.initialize_parameters(*args, **kwargs)
        self.__class__ = self.cls_to_become
        return self.forward(*args, **kwargs)
