// Recurrent layers: the fused one-layer, one-direction sequence op.
#include "bindings.h"

using glia::Tensor;

namespace {

Tensor or_undefined(const std::optional<Tensor>& t) { return t ? *t : Tensor(); }

}  // namespace

void init_rnn(py::module_& m) {
  m.def(
      "rnn_layer",
      [](const std::string& mode, const Tensor& x, const std::optional<Tensor>& h0,
         const std::optional<Tensor>& c0, const Tensor& w_ih, const Tensor& w_hh,
         const std::optional<Tensor>& b_ih, const std::optional<Tensor>& b_hh,
         const std::optional<Tensor>& lengths, bool reverse) {
        return glia::nn::rnn_layer(glia::nn::rnn_mode_from(mode), x, or_undefined(h0),
                                   or_undefined(c0), w_ih, w_hh, or_undefined(b_ih),
                                   or_undefined(b_hh), or_undefined(lengths), reverse);
      },
      py::arg("mode"), py::arg("input"), py::arg("h0"), py::arg("c0"), py::arg("weight_ih"),
      py::arg("weight_hh"), py::arg("bias_ih"), py::arg("bias_hh"), py::arg("lengths") = py::none(),
      py::arg("reverse") = false,
      R"doc(One layer and direction of a recurrent network over a whole sequence.

Args:
    mode: "rnn_tanh", "rnn_relu", "lstm" or "gru".
    input: (seq, batch, input_size), time-major.
    h0, c0: (batch, hidden_size) initial states or None (zeros); c0 only for "lstm".
    weight_ih (G*hidden, input_size), weight_hh (G*hidden, hidden), bias_ih, bias_hh (G*hidden)
        in PyTorch's layout, G = 1, 4 (i,f,g,o) or 3 (r,z,n).
    lengths: int64 (batch,) valid steps per sequence, or None for all; padded steps keep
        the state and output zeros.
    reverse: run each sequence from its last valid step back to the first.

Returns:
    (seq + 1, batch, hidden) tensor, (seq + 2, ...) for LSTM: rows [:seq] are the outputs,
    row seq the final hidden state, row seq + 1 the final cell state.)doc");
}
