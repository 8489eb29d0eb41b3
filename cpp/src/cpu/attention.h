#pragma once
// Blockwise (flash-attention style) scaled dot-product attention kernels. The (L, S) score
// matrix is never stored whole: each task holds one block of query rows against one block
// of keys, with an online softmax (running max and sum per row).
#include <cstdint>

namespace glia::cpu {

// One attention problem per batch element b (batch = product of the broadcast leading dims).
// Inputs are addressed through per-batch offsets and row strides, so broadcast and strided
// views need no copies; the last dim of q, k, v is contiguous.
struct AttentionParams {
  int64_t batch = 0, L = 0, S = 0, E = 0, Ev = 0;
  const int64_t* q_off = nullptr;  // (batch) element offsets of each problem
  const int64_t* k_off = nullptr;
  const int64_t* v_off = nullptr;
  const int64_t* m_off = nullptr;  // null when there is no mask
  int64_t q_ld = 0, k_ld = 0, v_ld = 0;  // row strides
  int64_t m_row = 0, m_col = 0;          // additive-mask strides over (L, S)
  bool causal = false;                   // key s is visible to query l iff s <= l
  double scale = 1.0;
};

// out (batch, L, Ev) contiguous; lse (batch, L) gets each row's log-sum-exp of the scaled,
// masked scores (-inf for a row that sees no key; its output is 0, as torch).
template <class T>
void attention_forward(const AttentionParams& p, const T* q, const T* k, const T* v,
                       const T* mask, T* out, T* lse);

// Gradients from gout (batch, L, Ev) contiguous; gq (batch, L, E), gk (batch, S, E),
// gv (batch, S, Ev) are contiguous outputs (overwritten). Probabilities are recomputed
// from lse block by block.
template <class T>
void attention_backward(const AttentionParams& p, const T* q, const T* k, const T* v,
                        const T* mask, const T* out, const T* lse, const T* gout, T* gq, T* gk,
                        T* gv);

}  // namespace glia::cpu
