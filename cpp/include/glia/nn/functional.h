#pragma once
// Fused neural-network ops with their own backward: linear, normalization, losses,
// convolution, pooling, attention.
#include <optional>
#include <utility>

#include "glia/tensor.h"

namespace glia::nn {

enum class Reduction { None, Mean, Sum };

// x @ weight^T + bias, x (..., in), weight (out, in), bias (out) or undefined.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

// Batch normalization over dim 1 of x (N, C, *). In training, normalizes with the batch
// statistics and, if given, updates running_mean/running_var in place with `momentum`;
// in eval, uses the running statistics. weight/bias (C) may be undefined.
Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight, const Tensor& bias, bool training, double momentum,
                  double eps);

// Layer normalization over the last `normalized_ndim` dims.
Tensor layer_norm(const Tensor& x, int64_t normalized_ndim, const Tensor& weight,
                  const Tensor& bias, double eps);

// Cross-entropy from logits (N, C) or (N, C, d...). `target` holds int64 class indices
// (N) / (N, d...) or float class probabilities shaped like the logits.
Tensor cross_entropy(const Tensor& logits, const Tensor& target, const Tensor& weight = Tensor(),
                     int64_t ignore_index = -100, Reduction reduction = Reduction::Mean,
                     double label_smoothing = 0.0);

// Squared error (input - target)^2 of same-shape tensors, reduced; mean and sum take one
// pass over the inputs.
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);

// Negative log-likelihood of log-probabilities (N, C) or (N, C, d...) at int64 targets.
Tensor nll_loss(const Tensor& log_probs, const Tensor& target, const Tensor& weight = Tensor(),
                int64_t ignore_index = -100, Reduction reduction = Reduction::Mean);

// Connectionist temporal classification loss of each sample (N): log_probs (T, N, C);
// targets int32/int64, (N, S) padded or 1-D with the samples' labels one after another;
// input_lengths and target_lengths integer (N). With zero_infinity, a sample with no
// alignment has loss 0 and no gradient instead of +inf.
Tensor ctc_loss(const Tensor& log_probs, const Tensor& targets, const Tensor& input_lengths,
                const Tensor& target_lengths, int64_t blank = 0, bool zero_infinity = false);

// N-d convolution (N = weight.dim() - 2, 1 to 3): x (B, C, *in) or unbatched (C, *in),
// weight (O, C/groups, *k), bias (O) or undefined. stride/padding/dilation have N entries.
Tensor conv(const Tensor& x, const Tensor& weight, const Tensor& bias, const Shape& stride,
            const Shape& padding, const Shape& dilation, int64_t groups);

// Transposed convolution ("deconvolution"): weight (C_in, C_out/groups, *k).
Tensor conv_transpose(const Tensor& x, const Tensor& weight, const Tensor& bias, const Shape& stride,
                      const Shape& padding, const Shape& output_padding, const Shape& dilation,
                      int64_t groups);

// Pooling over the last `kernel.size()` (1 to 3) dims of x (N, C, *in) or (C, *in).
// max_pool returns values and int64 indices flattened within each plane (as PyTorch).
std::pair<Tensor, Tensor> max_pool(const Tensor& x, const Shape& kernel, const Shape& stride,
                                   const Shape& padding, const Shape& dilation, bool ceil_mode);
Tensor avg_pool(const Tensor& x, const Shape& kernel, const Shape& stride, const Shape& padding,
                bool ceil_mode, bool count_include_pad, int64_t divisor_override = 0);
// Adaptive pooling to `output_size` (one entry per pooled dim).
std::pair<Tensor, Tensor> adaptive_max_pool(const Tensor& x, const Shape& output_size);
Tensor adaptive_avg_pool(const Tensor& x, const Shape& output_size);

// softmax(q k^T * scale + mask) v for q (..., L, E), k (..., S, E), v (..., S, Ev) with
// broadcast leading dims. attn_mask (broadcastable to (..., L, S)) is bool (true = attend)
// or additive float; is_causal lets query l see keys s <= l. scale defaults to 1/sqrt(E).
// Rows that see no key give 0 (as PyTorch). Blockwise: the (L, S) matrix is never stored.
Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                                    const Tensor& attn_mask = Tensor(), bool is_causal = false,
                                    std::optional<double> scale = std::nullopt);

}  // namespace glia::nn
