"""glia.autograd.grad and glia.autograd.backward."""
from glia import _C


def _as_list(x):
    if x is None:
        return []
    return list(x) if isinstance(x, (list, tuple)) else [x]


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False):
    """Gradients of `outputs` with respect to `inputs`, returned as a tuple (.grad untouched).

    Args:
        outputs: tensor or sequence of tensors to differentiate.
        inputs: tensor or sequence of tensors that require grad.
        grad_outputs: weights for each output (needed for non-scalar outputs).
        retain_graph: keep the graph for another backward (defaults to create_graph).
        create_graph: build a graph of the gradient itself, for higher derivatives.
        allow_unused: return None for inputs the outputs do not depend on, instead of raising.
    """
    outs, ins = _as_list(outputs), _as_list(inputs)
    gos = _as_list(grad_outputs) or [None] * len(outs)
    if len(gos) != len(outs):
        raise ValueError(f"grad: got {len(gos)} grad_outputs for {len(outs)} outputs")
    retain = create_graph if retain_graph is None else retain_graph
    return tuple(_C._grad(outs, ins, gos, retain, create_graph, allow_unused))


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False):
    """Accumulates gradients of `tensors` into the .grad of the leaves they depend on."""
    outs = _as_list(tensors)
    gos = _as_list(grad_tensors) or [None] * len(outs)
    retain = create_graph if retain_graph is None else retain_graph
    _C._backward(outs, gos, retain, create_graph)
