"""glia.nn recurrent layers, as in torch.nn: RNN, LSTM and GRU run a whole sequence per layer
(both directions when bidirectional) in one fused C++ op (backward walks the sequence once);
RNNCell, LSTMCell and GRUCell apply one step, for loops written in Python (decoders, teacher
forcing).

The hidden state is an ordinary tensor: pass the returned state back in as `hx` to carry
it across batches, and `detach()` it first to truncate backpropagation through time.
"""
import math

import glia
from glia import _C
from glia._C import Tensor
from glia.nn import init
from glia.nn.functional import dropout as _dropout
from glia.nn.functional.dropout import _check_p
from glia.nn.module import Module
from glia.nn.parameter import Parameter
from glia.nn.utils.rnn import PackedSequence, _as_index_array, _packed_rows, _pad_sorted

__all__ = ["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "gru": 3}


def _shape(t):
    return tuple(t.shape)


def _reset_parameters(self):
    """PyTorch's default: every weight and bias ~ U(-1/sqrt(hidden), 1/sqrt(hidden))."""
    bound = 1.0 / math.sqrt(self.hidden_size)
    for p in self.parameters():
        init.uniform_(p, -bound, bound)


def _check_sizes(name, input_size, hidden_size):
    if not isinstance(hidden_size, int) or hidden_size <= 0:
        raise ValueError(f"{name}: hidden_size must be a positive integer, got {hidden_size}")
    if not isinstance(input_size, int) or input_size < 0:
        raise ValueError(f"{name}: input_size must be a non-negative integer, got {input_size}")


def _by_direction(row, D):
    """A final-state row of the op, (B, D * H) with the directions side by side, as (D, B, H)."""
    return row.reshape(row.shape[0], D, row.shape[1] // D).transpose(0, 1)


class RNNBase(Module):
    """Shared machinery of RNN, LSTM and GRU: PyTorch's parameter names and layout
    (weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k}, and weight_hr_l{k} for an
    LSTM with proj_size; suffix _reverse for the backward direction; gate blocks stacked along
    dim 0), layer stacking, directions,
    dropout between layers, batch_first, unbatched input and packed sequences."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, dtype=None, proj_size=0):
        super().__init__()
        name = type(self).__name__
        _check_sizes(name, input_size, hidden_size)
        if not isinstance(num_layers, int) or num_layers < 1:
            raise ValueError(f"{name}: num_layers must be a positive integer, got {num_layers}")
        _check_p(dropout, name, "dropout")
        if not isinstance(proj_size, int) or isinstance(proj_size, bool) or proj_size < 0:
            raise ValueError(f"{name}: proj_size must be a non-negative integer, got {proj_size}")
        if proj_size >= hidden_size:
            raise ValueError(f"{name}: proj_size has to be smaller than hidden_size, got "
                             f"proj_size={proj_size} and hidden_size={hidden_size}")
        self.proj_size = proj_size
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        dtype = dtype or glia.float32
        gate_rows, out = _GATES[mode] * hidden_size, self._output_size
        for layer in range(num_layers):
            layer_in = input_size if layer == 0 else out * self._directions
            for direction in range(self._directions):
                sfx = self._suffix(layer, direction)
                setattr(self, "weight_ih" + sfx, Parameter(glia.empty(gate_rows, layer_in, dtype=dtype)))
                setattr(self, "weight_hh" + sfx, Parameter(glia.empty(gate_rows, out, dtype=dtype)))
                if bias:
                    setattr(self, "bias_ih" + sfx, Parameter(glia.empty(gate_rows, dtype=dtype)))
                    setattr(self, "bias_hh" + sfx, Parameter(glia.empty(gate_rows, dtype=dtype)))
                if proj_size:
                    setattr(self, "weight_hr" + sfx, Parameter(glia.empty(proj_size, hidden_size, dtype=dtype)))
        self.reset_parameters()

    @property
    def _output_size(self):
        """The size of h: proj_size for an LSTM with projections, else hidden_size."""
        return self.proj_size or self.hidden_size

    @property
    def _directions(self):
        return 2 if self.bidirectional else 1

    @staticmethod
    def _suffix(layer, direction):
        return f"_l{layer}" + ("_reverse" if direction else "")

    reset_parameters = _reset_parameters

    def flatten_parameters(self):
        """Kept for PyTorch compatibility; glia's fused op reads the weights where they are."""

    def _weights(self, layer, direction):
        sfx = self._suffix(layer, direction)
        get = lambda n: getattr(self, n + sfx) if self.bias or n.startswith("weight") else None  # noqa: E731
        return get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh")

    # ---- input handling ----

    def _check_input(self, x):
        name = type(self).__name__
        if x.shape[-1] != self.input_size:
            raise ValueError(f"{name}: input.size(-1) must be equal to input_size. Expected "
                             f"{self.input_size}, got {x.shape[-1]} (input shape {_shape(x)})")
        if x.dtype != self.weight_ih_l0.dtype:
            raise TypeError(f"{name}: input is {x.dtype} but the parameters are "
                            f"{self.weight_ih_l0.dtype}")

    def _check_state(self, h, batch, what):
        size = self.hidden_size if what == "c0" else self._output_size
        expected = (self.num_layers * self._directions, batch, size)
        if _shape(h) != expected:
            raise ValueError(f"{type(self).__name__}: expected {what} of shape {expected}, got "
                             f"{_shape(h)}")

    def forward(self, input, hx=None, lengths=None):
        """Runs the whole sequence.

        Args:
            input: (T, B, input_size) ((B, T, input_size) with batch_first), unbatched
                (T, input_size), or a PackedSequence.
            hx: initial state (num_layers * directions, B, hidden_size) (unbatched: without
                the B dim), for LSTM a tuple (h0, c0), h0 with proj_size features when the
                LSTM has projections; None means zeros.
            lengths: optional valid lengths per batch element (any order) for a padded
                input: padded steps leave the state unchanged, get no gradient and output zeros.
        Returns:
            (output, h_n), for LSTM (output, (h_n, c_n)), shaped as in PyTorch; output is a
            PackedSequence when the input is one.
        """
        name = type(self).__name__
        packed = isinstance(input, PackedSequence)
        unbatched = False
        if packed:
            if lengths is not None:
                raise ValueError(f"{name}: lengths cannot be given with a PackedSequence input")
            x, len_np = _pad_sorted(input)
            self._check_input(x)
        else:
            x = input
            if x.dim() not in (2, 3):
                raise ValueError(f"{name}: input must be 2-D (unbatched) or 3-D, got shape "
                                 f"{_shape(x)}")
            self._check_input(x)
            unbatched = x.dim() == 2
            if unbatched:
                x = x.unsqueeze(1)
            elif self.batch_first:
                x = x.transpose(0, 1)
            len_np = None
            if lengths is not None:
                len_np = _as_index_array(lengths)
                if unbatched:
                    raise ValueError(f"{name}: lengths needs batched input")
        T, B = x.shape[0], x.shape[1]
        h0, c0 = self._initial_state(hx, B, unbatched, x.dtype)
        if packed and input.sorted_indices is not None:
            h0 = glia.index_select(h0, 1, input.sorted_indices) if h0 is not None else None
            c0 = glia.index_select(c0, 1, input.sorted_indices) if c0 is not None else None
        len_t = None
        if len_np is not None:
            if len(len_np) != B or (len(len_np) and (len_np.min() < 0 or len_np.max() > T)):
                raise ValueError(f"{name}: lengths must have {B} entries in [0, {T}], got "
                                 f"{len_np.tolist()}")
            len_t = glia.tensor(len_np)

        output, h_n, c_n = self._run(x, h0, c0, len_t, T)

        if packed:
            flat = output.reshape(T * B, output.shape[2])
            rows = glia.tensor(_packed_rows(len_np, B))
            output = PackedSequence(glia.index_select(flat, 0, rows), input.batch_sizes,
                                    input.sorted_indices, input.unsorted_indices)
            if input.unsorted_indices is not None:
                h_n = glia.index_select(h_n, 1, input.unsorted_indices)
                c_n = glia.index_select(c_n, 1, input.unsorted_indices) if c_n is not None else None
        elif unbatched:
            output, h_n = output.squeeze(1), h_n.squeeze(1)
            c_n = c_n.squeeze(1) if c_n is not None else None
        elif self.batch_first:
            output = output.transpose(0, 1)
        return output, ((h_n, c_n) if self.mode == "lstm" else h_n)

    def _initial_state(self, hx, batch, unbatched, dtype):
        if hx is None:
            return None, None
        if self.mode == "lstm":
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise ValueError("LSTM: hx must be a tuple (h0, c0)")
            h0, c0 = hx
        else:
            if isinstance(hx, (tuple, list)):
                raise ValueError(f"{type(self).__name__}: hx must be a tensor, not a tuple")
            h0, c0 = hx, None
        states = []
        for s, what in ((h0, "h0"), (c0, "c0")):
            if s is None:
                states.append(None)
                continue
            if unbatched:
                if s.dim() != 2:
                    raise ValueError(f"{type(self).__name__}: for unbatched input {what} must be "
                                     f"2-D (num_layers * directions, features), got shape "
                                     f"{_shape(s)}")
                s = s.unsqueeze(1)
            self._check_state(s, batch, what)
            if s.dtype != dtype:
                raise TypeError(f"{type(self).__name__}: {what} is {s.dtype} but input is {dtype}")
            states.append(s)
        return states[0], states[1]

    def _run(self, x, h0, c0, lengths, T):
        """Stacks the fused layer ops (both directions of a layer in one); returns time-major
        output, h_n, c_n."""
        lstm, D = self.mode == "lstm", self._directions
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            states = slice(layer * D, (layer + 1) * D)
            h0_l = h0[states] if h0 is not None else None
            c0_l = c0[states] if c0 is not None else None
            if self.proj_size:
                x, h_last, c_last = self._projected_layer(layer, x, h0_l, c0_l, lengths, T)
                h_n.append(h_last)
                c_n.append(c_last)
            else:
                y = _C.rnn_layer(self.mode, x, h0_l, c0_l,
                                 [self._weights(layer, d) for d in range(D)], lengths)
                x = y[:T]
                h_n.append(_by_direction(y[T], D))
                if lstm:
                    c_n.append(_by_direction(y[T + 1], D))
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                x = _dropout(x, self.dropout, True)
        return x, glia.cat(h_n, 0), (glia.cat(c_n, 0) if lstm else None)

    def _projected_layer(self, layer, x, h0, c0, lengths, T):
        """One LSTM layer with projections, h_t = W_hr (o_t * tanh(c_t)), on the fused op.

        With m_t = o_t * tanh(c_t), the recurrent term h_{t-1} W_hh^T is m_{t-1} (W_hh W_hr)^T:
        the op runs the plain LSTM on m with W_hh W_hr as its recurrent weight, and the output
        is m W_hr^T. The initial h0 is not an m, so the op gets its term h0 W_hh^T as each
        sequence's first recurrent product (first_hh). Autograd carries every gradient
        through these products. Returns the time-major output (T, B, D * P), h_n (D, B, P)
        and c_n (D, B, H)."""
        D, H = self._directions, self.hidden_size
        params = [self._weights(layer, d) for d in range(D)]
        w_hr = [getattr(self, "weight_hr" + self._suffix(layer, d)) for d in range(D)]
        first_hh = None
        if h0 is not None:
            first_hh = glia.stack([h0[d] @ w_hh.t() for d, (_, w_hh, _, _) in enumerate(params)])
        y = _C.rnn_layer("lstm", x, None, c0,
                         [(w_ih, w_hh @ w_hr[d], b_ih, b_hh)
                          for d, (w_ih, w_hh, b_ih, b_hh) in enumerate(params)],
                         lengths, first_hh)
        outs = [y[:T + 1, :, d * H:(d + 1) * H] @ w_hr[d].t() for d in range(D)]  # (T + 1, B, P)
        output = glia.cat([o[:T] for o in outs], 2) if D > 1 else outs[0][:T]
        h_n = glia.stack([o[T] for o in outs], 0)
        if h0 is not None and lengths is not None:
            # a sequence with no steps keeps its initial state
            empty = lengths.numpy() == 0
            if empty.any():
                h_n = glia.where(glia.tensor(empty[None, :, None]), h0, h_n)
        return output, h_n, _by_direction(y[T + 1], D)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size:
            s += f", proj_size={self.proj_size}"
        if self.mode == "rnn_relu":
            s += ", nonlinearity='relu'"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


class RNN(RNNBase):
    """Elman RNN: h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), act tanh or relu.

    Args:
        input_size, hidden_size: feature sizes of x_t and h_t.
        num_layers: stacked layers (default 1); layer k > 0 reads layer k-1's output.
        nonlinearity: 'tanh' (default) or 'relu'.
        bias: learn b_ih and b_hh (default True).
        batch_first: input and output are (B, T, *) instead of (T, B, *).
        dropout: dropout probability on the outputs of every layer but the last (training only).
        bidirectional: add a layer running backwards; outputs are concatenated (2 * hidden_size).
        dtype: parameter dtype (default float32).
    Shapes:
        input (T, B, input_size) -> output (T, B, D * hidden_size), h_n (num_layers * D, B,
        hidden_size), D = 2 if bidirectional else 1. weight_ih_l{k} (hidden, in),
        weight_hh_l{k} (hidden, hidden).
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__("rnn_" + nonlinearity, input_size, hidden_size, num_layers, bias,
                         batch_first, dropout, bidirectional, dtype)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory:
        i, f, g, o = sigmoid, sigmoid, tanh, sigmoid of x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh
        c_t = f * c_{t-1} + i * g,   h_t = o * tanh(c_t)
    (gate blocks stacked i, f, g, o along dim 0 of the weights, as in PyTorch).

    Args: as RNN, without nonlinearity, and proj_size: with proj_size > 0 (smaller than
        hidden_size), h_t = W_hr (o_t * tanh(c_t)) has proj_size features, as in PyTorch.
    Returns (output, (h_n, c_n)); hx is (h0, c0).
    Shapes: weight_ih_l{k} (4 * hidden, in), weight_hh_l{k} (4 * hidden, h size) and with
    projections weight_hr_l{k} (proj_size, hidden); output and h_n have proj_size features,
    c_n hidden_size.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, dtype=None):
        super().__init__("lstm", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, dtype, proj_size)


class GRU(RNNBase):
    """Gated recurrent unit:
        r = sigmoid(W_ir x + b_ir + W_hr h + b_hr),  z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),  h_t = (1 - z) * n + z * h_{t-1}
    (gate blocks r, z, n along dim 0 of the weights, as in PyTorch).

    Args: as RNN, without nonlinearity. Shapes: weights (3 * hidden, in) and (3 * hidden, hidden).
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, dtype=None):
        super().__init__("gru", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, dtype)


class RNNCellBase(Module):
    """One step of a recurrent layer, with parameters weight_ih, weight_hh, bias_ih, bias_hh
    in PyTorch's layout; runs the same fused op as the sequence layers with T = 1."""

    def __init__(self, mode, input_size, hidden_size, bias=True, dtype=None):
        super().__init__()
        name = type(self).__name__
        _check_sizes(name, input_size, hidden_size)
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        dtype = dtype or glia.float32
        rows = _GATES[mode] * hidden_size
        self.weight_ih = Parameter(glia.empty(rows, input_size, dtype=dtype))
        self.weight_hh = Parameter(glia.empty(rows, hidden_size, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(glia.empty(rows, dtype=dtype))
            self.bias_hh = Parameter(glia.empty(rows, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    reset_parameters = _reset_parameters

    def _step(self, input, hx):
        name = type(self).__name__
        if not isinstance(input, Tensor) or input.dim() not in (1, 2):
            shape = _shape(input) if isinstance(input, Tensor) else type(input).__name__
            raise ValueError(f"{name}: expected input to be 1-D or 2-D, got {shape}")
        if input.shape[-1] != self.input_size:
            raise ValueError(f"{name}: input has {input.shape[-1]} features, expected input_size="
                             f"{self.input_size} (input shape {_shape(input)})")
        unbatched = input.dim() == 1
        x = input.unsqueeze(0) if unbatched else input
        states = []
        for s, what in zip(hx, ("h", "c")):
            if s is not None:
                s = s.unsqueeze(0) if unbatched and s.dim() == 1 else s
                if _shape(s) != (x.shape[0], self.hidden_size):
                    raise ValueError(f"{name}: {what} must have shape "
                                     f"{(x.shape[0], self.hidden_size)[1 if unbatched else 0:]}, "
                                     f"got {_shape(hx[0 if what == 'h' else 1])}")
            states.append(s)
        y = _C.rnn_layer(self.mode, x.unsqueeze(0), *[s.unsqueeze(0) if s is not None else None
                                                      for s in states],
                         [(self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)])
        out = [y[1], y[2]] if self.mode == "lstm" else [y[1]]
        return [o.squeeze(0) for o in out] if unbatched else out

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        if self.mode == "rnn_relu":
            s += ", nonlinearity='relu'"
        return s


class RNNCell(RNNCellBase):
    """h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh), act 'tanh' (default) or 'relu'.

    Shapes: input (B, input_size) or (input_size,), hx like the output (B, hidden_size) or
    None (zeros) -> h' (B, hidden_size).
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__("rnn_" + nonlinearity, input_size, hidden_size, bias, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        return self._step(input, (hx, None))[0]


class LSTMCell(RNNCellBase):
    """One LSTM step (gates i, f, g, o as in nn.LSTM): (h', c') from x and (h, c).

    Shapes: input (B, input_size) or (input_size,); hx a tuple (h, c) of (B, hidden_size)
    or None (zeros) -> (h', c').
    """

    def __init__(self, input_size, hidden_size, bias=True, dtype=None):
        super().__init__("lstm", input_size, hidden_size, bias, dtype)

    def forward(self, input, hx=None):
        if hx is None:
            hx = (None, None)
        elif not isinstance(hx, (tuple, list)) or len(hx) != 2:
            raise ValueError("LSTMCell: hx must be a tuple (h, c)")
        h, c = self._step(input, tuple(hx))
        return h, c


class GRUCell(RNNCellBase):
    """One GRU step (gates r, z, n as in nn.GRU): h' from x and h.

    Shapes: input (B, input_size) or (input_size,), hx (B, hidden_size) or None -> h'.
    """

    def __init__(self, input_size, hidden_size, bias=True, dtype=None):
        super().__init__("gru", input_size, hidden_size, bias, dtype)

    def forward(self, input, hx=None):
        return self._step(input, (hx, None))[0]
