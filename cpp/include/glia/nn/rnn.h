#pragma once
// Recurrent layers as fused ops: one call runs a whole sequence through one layer (both
// directions at once when bidirectional); its backward walks the sequence once (BPTT).
#include <string>
#include <vector>

#include "glia/tensor.h"

namespace glia::nn {

// The cell each step applies. Gate order follows PyTorch: LSTM i,f,g,o; GRU r,z,n.
enum class RnnMode { Tanh, Relu, Lstm, Gru };

// Number of gate blocks of size hidden in weight_ih/weight_hh rows (1, 4 or 3).
int64_t rnn_gate_count(RnnMode mode);
RnnMode rnn_mode_from(const std::string& name);  // "rnn_tanh", "rnn_relu", "lstm", "gru"

// The parameters of one direction of a layer, in PyTorch's layout: w_ih (G*H, I),
// w_hh (G*H, H), b_ih and b_hh (G*H) or undefined.
struct RnnParams {
  Tensor w_ih, w_hh, b_ih, b_hh;
};

// One layer over a time-major sequence, in one direction or both at once (D = params.size()
// is 1 or 2; the second direction runs backwards in time, as PyTorch's `_reverse` weights).
//   x (T, B, I); h0, c0 (D, B, H) or undefined (zeros; c0 only for LSTM);
//   lengths: int64 (B) with 0 <= lengths[b] <= T, or undefined (all T). Steps t >= lengths[b]
//   leave b's state unchanged and output zeros; the backward direction starts each sequence
//   at its last valid step.
//   first_hh (D, B, G*H) or undefined, only without h0 and not for GRU (whose update reads
//   h_prev itself): each sequence's first recurrent product (what h_prev W_hh^T, without
//   b_hh, would be at its first step), given directly.
//   An LSTM with projections passes h0 W_hh^T: its h0 is not a state of the recurrence it
//   runs (see nn.LSTM's proj_size).
// Returns one tensor Y (T + 1, B, D*H), or (T + 2, B, D*H) for LSTM: Y[:T] is the output
// (directions concatenated along the last dim, as PyTorch), Y[T] the final hidden states,
// Y[T + 1] the final cell states (direction d in columns [d*H, (d+1)*H)). Packing them keeps
// one graph node per call; slice it (differentiably) to get the parts.
Tensor rnn_layer(RnnMode mode, const Tensor& x, const Tensor& h0, const Tensor& c0,
                 const std::vector<RnnParams>& params, const Tensor& lengths,
                 const Tensor& first_hh = Tensor());

}  // namespace glia::nn
