// Recurrent layers: the fused one-layer sequence op (one direction or both).
#include <tuple>
#include <vector>

#include "bindings.h"

using glia::Tensor;

namespace {

using DirectionParams = std::tuple<Tensor, Tensor, std::optional<Tensor>, std::optional<Tensor>>;

}  // namespace

void init_rnn(py::module_& m) {
  m.def(
      "rnn_layer",
      [](const std::string& mode, const Tensor& x, const std::optional<Tensor>& h0,
         const std::optional<Tensor>& c0, const std::vector<DirectionParams>& params,
         const std::optional<Tensor>& lengths, const std::optional<Tensor>& first_hh) {
        std::vector<glia::nn::RnnParams> ps;
        for (const auto& [w_ih, w_hh, b_ih, b_hh] : params)
          ps.push_back({w_ih, w_hh, or_undefined(b_ih), or_undefined(b_hh)});
        return glia::nn::rnn_layer(glia::nn::rnn_mode_from(mode), x, or_undefined(h0),
                                   or_undefined(c0), ps, or_undefined(lengths),
                                   or_undefined(first_hh));
      },
      py::arg("mode"), py::arg("input"), py::arg("h0"), py::arg("c0"), py::arg("params"),
      py::arg("lengths") = py::none(), py::arg("first_hh") = py::none(),
      R"doc(One layer of a recurrent network over a whole sequence, in one direction or both.

Args:
    mode: "rnn_tanh", "rnn_relu", "lstm" or "gru".
    input: (seq, batch, input_size), time-major.
    h0, c0: (directions, batch, hidden_size) initial states or None (zeros); c0 only for
        "lstm".
    params: one tuple (weight_ih, weight_hh, bias_ih, bias_hh) per direction, forward then
        backward in time; weight_ih (G*hidden, input_size), weight_hh (G*hidden, hidden),
        the biases (G*hidden) or None, in PyTorch's layout, G = 1, 4 (i,f,g,o) or 3 (r,z,n).
    lengths: int64 (batch,) valid steps per sequence, or None for all; padded steps keep
        the state and output zeros, and the backward direction starts at the last valid step.
    first_hh: (directions, batch, G*hidden) or None, only without h0 and not for "gru"
        (its update reads h0 itself): each sequence's first
        recurrent product (h_prev @ weight_hh.T at its first step), given directly (an LSTM
        with projections passes h0 @ weight_hh.T).

Returns:
    (seq + 1, batch, D * hidden) tensor, (seq + 2, ...) for LSTM, D the number of directions:
    rows [:seq] are the output (directions side by side, as PyTorch), row seq the final
    hidden states, row seq + 1 the final cell states (direction d in columns
    [d * hidden, (d + 1) * hidden)).)doc");
}
