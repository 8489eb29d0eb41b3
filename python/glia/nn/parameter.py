"""nn.Parameter: a tensor that a Module registers as learnable."""
from glia._C import Tensor


class Parameter(Tensor):
    """A leaf tensor sharing `data`'s memory, with requires_grad=True by default.

    Assigning a Parameter to a Module attribute registers it in parameters() and
    state_dict(). Results of ops on a Parameter are plain tensors.
    """

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            from glia._creation import empty

            data = empty(0)
        super().__init__(data)
        self.requires_grad_(requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + Tensor.__repr__(self)

    def __reduce_ex__(self, proto):
        raise TypeError("Parameter: pickling is not supported; use glia.save(state_dict)")


class Buffer(Tensor):
    """Marks a tensor to register as a module buffer when assigned (as torch.nn.Buffer)."""

    def __init__(self, data, persistent=True):
        super().__init__(data)
        self.persistent = persistent
