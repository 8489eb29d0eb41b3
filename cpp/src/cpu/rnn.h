#pragma once
// The time loops of the fused recurrent ops, on raw time-major buffers. The input
// projection and the weight-gradient GEMMs over the whole sequence are done by the op;
// these kernels do each step's recurrent GEMM and the fused gate math.
#include <cstdint>

#include "glia/nn/rnn.h"

namespace glia::cpu {

struct RnnShape {
  nn::RnnMode mode;
  int64_t T, B, H, G;  // steps, batch, hidden size, gate blocks
  bool reverse;
  const int64_t* lengths;  // (B) or null: every sequence has T steps
};

// Buffers shared by forward and backward (all row-major, time-major):
//   gates (T, B, G*H): holds x W_ih^T + b_ih on entry to the forward and the gate activations
//     on exit (LSTM i,f,g,o; GRU r,z,n; a plain RNN's backward reads hs instead);
//   hs (T+1, B, H): hidden states; the state before step t is hs[t] going forward and
//     hs[t+1] in reverse, so hs[0] (forward) or hs[T] (reverse) holds h0 on entry;
//   cs: the same for the LSTM cell state (null otherwise);
//   hn (T, B, H): GRU only, W_hn h + b_hn, which the r gradient needs (null otherwise).
// w_hh (G*H, H) contiguous. b_hh (G*H) or null; except for GRU, whose n gate needs it apart,
// the op may fold it into the projection bias instead.
template <class T>
void rnn_forward(const RnnShape& s, const T* w_hh, const T* b_hh, T* gates, T* hs, T* cs, T* hn,
                 T* out);

// BPTT. d_out (T, B, H) is the output gradient; dh/dc (B, H) hold the final-state gradients on
// entry and the initial-state gradients on exit (dc null unless LSTM). Writes the
// pre-activation gradients dgi (T, B, G*H) for the input side and, for GRU only, dgh for the
// hidden side (for the others they are equal and dgh is null). Padded steps get zeros.
template <class T>
void rnn_backward(const RnnShape& s, const T* w_hh, const T* gates, const T* hs, const T* cs,
                  const T* hn, const T* d_out, T* dh, T* dc, T* dgi, T* dgh);

}  // namespace glia::cpu
