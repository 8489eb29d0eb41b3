"""glia.nn linear layers: Linear (one fused C++ op), LazyLinear and Bilinear, as in torch.nn."""
import math

import glia
from glia import _C
from glia.nn import init
from glia.nn.lazy import LazyModuleMixin
from glia.nn.module import Module
from glia.nn.parameter import Parameter

__all__ = ["Bilinear", "LazyLinear", "Linear"]


class Linear(Module):
    """y = x W^T + b.

    Args:
        in_features, out_features: sizes of each input and output sample.
        bias: learn an additive bias (default True).
        dtype: parameter dtype (default float32).
    Shapes:
        input (*, in_features) -> output (*, out_features);
        weight (out_features, in_features), bias (out_features,) as in PyTorch.
    """

    def __init__(self, in_features, out_features, bias=True, dtype=None):
        super().__init__()
        if in_features < 0 or out_features < 0:
            raise ValueError(f"{type(self).__name__}: in_features and out_features must be >= 0, "
                             f"got ({in_features}, {out_features})")
        self.in_features = in_features
        self.out_features = out_features
        dtype = dtype or glia.float32
        self.weight = Parameter(glia.empty(out_features, in_features, dtype=dtype))
        if bias:
            self.bias = Parameter(glia.empty(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """PyTorch's default: weight and bias ~ U(-1/sqrt(in), 1/sqrt(in))."""
        # kaiming_uniform with a=sqrt(5) gives exactly the bound 1/sqrt(fan_in)
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0.0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        return _C.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class LazyLinear(LazyModuleMixin, Linear):
    """A Linear whose in_features is inferred from the first input (input.shape[-1]).

    Until then weight and bias are empty (0,)-shaped placeholders; the first forward fills them
    in place, initialises them as Linear does and turns the module into a Linear, as PyTorch
    (see LazyModuleMixin). load_state_dict before the first call takes its shapes from the
    state dict.

    Args:
        out_features: size of each output sample.
        bias: learn an additive bias (default True).
        dtype: parameter dtype (default float32).
    """

    cls_to_become = Linear
    _size_name = "in_features"
    _min_size = 0  # as Linear, which accepts in_features=0

    def __init__(self, out_features, bias=True, dtype=None):
        super().__init__(0, out_features, bias, dtype)

    def _infer_size(self, input):
        if input.dim() < 1:
            raise ValueError(f"LazyLinear: input must have at least 1 dim (*, in_features), "
                             f"got shape {tuple(input.shape)}")
        return input.shape[-1]

    def _lazy_shapes(self, in_features):
        return {"weight": (self.out_features, in_features), "bias": (self.out_features,)}

    def _size_from(self, name, shape):
        return shape[1] if name == "weight" else None


class Bilinear(Module):
    """y_k = x1^T A_k x2 + b_k for each output feature k.

    Args:
        in1_features, in2_features, out_features: sample sizes of the two inputs and output.
        bias: learn an additive bias (default True).
        dtype: parameter dtype (default float32).
    Shapes:
        input1 (*, in1_features), input2 (*, in2_features) -> output (*, out_features);
        weight (out_features, in1_features, in2_features), bias (out_features,).
    """

    def __init__(self, in1_features, in2_features, out_features, bias=True, dtype=None):
        super().__init__()
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        dtype = dtype or glia.float32
        self.weight = Parameter(glia.empty(out_features, in1_features, in2_features, dtype=dtype))
        if bias:
            self.bias = Parameter(glia.empty(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """PyTorch's default: weight and bias ~ U(-1/sqrt(in1), 1/sqrt(in1))."""
        bound = 1 / math.sqrt(self.in1_features) if self.in1_features > 0 else 0.0
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        s1, s2 = tuple(input1.shape), tuple(input2.shape)
        if (not s1 or not s2 or s1[:-1] != s2[:-1] or s1[-1] != self.in1_features
                or s2[-1] != self.in2_features):
            raise ValueError(f"Bilinear: inputs of shapes {s1} and {s2} do not match "
                             f"(*, {self.in1_features}) and (*, {self.in2_features})")
        lead, n = s1[:-1], math.prod(s1[:-1])
        out, in1, in2 = self.out_features, self.in1_features, self.in2_features
        x1, x2 = input1.reshape(n, in1), input2.reshape(n, in2)
        # one GEMM: (N, in1) @ (in1, out*in2), then contract in2 against x2 per sample
        w = self.weight.permute(1, 0, 2).reshape(in1, out * in2)
        t = glia.matmul(x1, w).reshape(n, out, in2)
        y = glia.matmul(t, x2.unsqueeze(-1)).squeeze(-1)
        if self.bias is not None:
            y = y + self.bias
        return y.reshape(lead + (out,))

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
