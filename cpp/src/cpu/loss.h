#pragma once
// Loss kernels: cross-entropy on logit rows (R, C) contiguous, and the squared error sum.
#include <cstdint>

namespace glia::cpu {

// Class-index targets. Writes logp (R, C) and per-row loss (R); a row whose target equals
// ignore_index gets loss 0 and row_weight 0. row_weight[r] = weight[target] (1 without
// weights) is the row's share of the mean's denominator.
template <class T>
void cross_entropy_index_forward(const T* logits, const int64_t* target, const T* weight,
                                 int64_t R, int64_t C, int64_t ignore_index, double smoothing,
                                 T* logp, T* row_loss, T* row_weight);
// grad_logits[r] = scale[r] * ((1-eps) w_t (p - e_t) + eps/C (p * sum(w) - w))
template <class T>
void cross_entropy_index_backward(const T* logp, const int64_t* target, const T* weight,
                                  int64_t R, int64_t C, int64_t ignore_index, double smoothing,
                                  const T* scale, T* grad);

// Probability targets (R, C): loss_r = -sum_c w_c y_c logp_c with y smoothed.
template <class T>
void cross_entropy_prob_forward(const T* logits, const T* target, const T* weight, int64_t R,
                                int64_t C, double smoothing, T* logp, T* row_loss);
template <class T>
void cross_entropy_prob_backward(const T* logp, const T* target, const T* weight, int64_t R,
                                 int64_t C, double smoothing, const T* scale, T* grad);

// sum((x - t)^2) over n contiguous elements, in fixed chunks whose sums are added in order
// (the same result for any thread count).
template <class T>
double squared_error_sum(const T* x, const T* t, int64_t n);

}  // namespace glia::cpu
