#pragma once
// Recurrent layers as fused ops: one call runs a whole sequence through one layer and
// direction; its backward walks the sequence once (BPTT).
#include <string>

#include "glia/tensor.h"

namespace glia::nn {

// The cell each step applies. Gate order follows PyTorch: LSTM i,f,g,o; GRU r,z,n.
enum class RnnMode { Tanh, Relu, Lstm, Gru };

// Number of gate blocks of size hidden in weight_ih/weight_hh rows (1, 4 or 3).
int64_t rnn_gate_count(RnnMode mode);
RnnMode rnn_mode_from(const std::string& name);  // "rnn_tanh", "rnn_relu", "lstm", "gru"

// One layer-direction over a time-major sequence.
//   x (T, B, I); h0, c0 (B, H) or undefined (zeros; c0 only for LSTM);
//   w_ih (G*H, I), w_hh (G*H, H), b_ih, b_hh (G*H) or undefined;
//   lengths: int64 (B) with 0 <= lengths[b] <= T, or undefined (all T). Steps t >= lengths[b]
//   leave b's state unchanged and output zeros; `reverse` runs each sequence from its last
//   valid step back to step 0.
// Returns one tensor Y (T + 1, B, H), or (T + 2, B, H) for LSTM: Y[:T] is the output,
// Y[T] the final hidden state, Y[T + 1] the final cell state. Packing them keeps one graph
// node per call; slice it (differentiably) to get the three parts.
Tensor rnn_layer(RnnMode mode, const Tensor& x, const Tensor& h0, const Tensor& c0,
                 const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh,
                 const Tensor& lengths, bool reverse);

}  // namespace glia::nn
