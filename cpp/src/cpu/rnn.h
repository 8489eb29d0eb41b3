#pragma once
// The time loops of the fused recurrent ops, on raw time-major buffers. The input
// projection, the weight-gradient GEMMs over the whole sequence and the recurrent products
// with the initial state (forward) and for its gradient (backward) are done by the op;
// these kernels do the other steps' recurrent GEMMs and the fused gate math, for one
// direction or both directions of a layer at once (direction 1 runs backwards in time).
// A single step (cells, sampling one step at a time) then builds no weight panels.
#include <cstdint>

#include "glia/nn/rnn.h"

namespace glia::cpu {

struct RnnShape {
  nn::RnnMode mode;
  int64_t T, B, H, G, D;   // steps, batch, hidden size, gate blocks, directions (1 or 2)
  const int64_t* lengths;  // (B) or null: every sequence has T steps
};

// One direction's buffers (all row-major, time-major):
//   w_hh (G*H, H) contiguous; b_x and b_hh (G*H) or null: the input-side and recurrent
//     biases, added in the gate math (a pass of their own over gates would cost a trip to
//     memory). Except for GRU, whose n gate needs b_hh apart, the op may pass their sum as b_x.
//   gates (T, B, G*H): holds x W_ih^T on entry to the forward and the gate activations on
//     exit (LSTM i,f,g,o; GRU r,z,n; a plain RNN's backward reads hs instead);
//   hs (T+1, B, H): hidden states; the state before step t is hs[t] going forward and
//     hs[t+1] in reverse, so hs[0] (forward) or hs[T] (reverse) holds h0 on entry;
//   cs: the same for the LSTM cell state (null otherwise);
//   aux (T, B, H): what the backward needs besides the gates: GRU's W_hn h + b_hn (for the
//     r gradient), LSTM's tanh(c_t) (not to compute it again); null for a plain RNN;
//   hh0 (B, G*H): each sequence's first recurrent product (h0 W_hh^T without b_hh, or one
//     the caller gives), used at its first step (step 0, or its last valid step in reverse)
//     instead of a product with the carried state; null when h0 is zero.
// Backward only: dh/dc (B, H) hold the final-state gradients on entry and, on exit, dc the
// initial-state gradient and dh its part that bypasses W_hh (GRU's z * dh; zero otherwise):
// the op adds the last step's dG W_hh (dc null unless LSTM); dgi (T, B, G*H) receives the pre-activation
// gradients of the input side and, for GRU only, dgh those of the hidden side (for the
// others they are equal and dgh is null). Padded steps get zeros. dbi (G*H), and dbh for GRU,
// receive the sums of dgi and dgh over the sequence and batch: the bias gradients (or null).
template <class T>
struct RnnDirection {
  const T* w_hh;
  const T* b_x;
  const T* b_hh;
  T* gates;
  T* hs;
  T* cs;
  T* aux;
  const T* hh0 = nullptr;
  T* dh = nullptr;
  T* dc = nullptr;
  T* dgi = nullptr;
  T* dgh = nullptr;
  T* dbi = nullptr;
  T* dbh = nullptr;
};

// out (rows, GH) = x (rows, I) @ w_ih^T, w_ih (GH, I): the input projection of every step at
// once, all row-major and contiguous.
template <class T>
void input_projection(const T* x, int64_t rows, int64_t I, const T* w_ih, int64_t GH, T* out);

// out (T, B, D*H): direction d writes the columns [d*H, (d+1)*H) of each row, as PyTorch
// concatenates the directions' outputs.
template <class T>
void rnn_forward(const RnnShape& s, const RnnDirection<T>* dirs, T* out);

// BPTT. d_out (T, B, D*H) is the output gradient, laid out as the forward's out.
template <class T>
void rnn_backward(const RnnShape& s, const RnnDirection<T>* dirs, const T* d_out);

}  // namespace glia::cpu
