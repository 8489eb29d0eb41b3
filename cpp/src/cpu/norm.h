#pragma once
// Normalization kernels on contiguous data.
#include <cstdint>

namespace glia::cpu {

// Batch norm over x viewed as (N, C, S): per channel c, statistics over N*S values.
// Training: writes mean and invstd (C); eval: reads them (running stats turned to invstd).
template <class T>
void batch_norm_forward(const T* x, int64_t N, int64_t C, int64_t S, const T* weight,
                        const T* bias, T* mean, T* invstd, bool use_batch_stats, double eps,
                        T* var_out, T* y);
// Gradients of batch norm; with batch statistics, the input gradient includes the paths
// through mean and variance. gx may be null; gw/gb may be null.
template <class T>
void batch_norm_backward(const T* g, const T* x, int64_t N, int64_t C, int64_t S, const T* weight,
                         const T* mean, const T* invstd, bool use_batch_stats, T* gx, T* gw,
                         T* gb);

// Layer norm over rows of length D.
template <class T>
void layer_norm_forward(const T* x, int64_t rows, int64_t D, const T* weight, const T* bias,
                        double eps, T* mean, T* rstd, T* y);
template <class T>
void layer_norm_backward(const T* g, const T* x, int64_t rows, int64_t D, const T* weight,
                         const T* mean, const T* rstd, T* gx, T* gw, T* gb);

}  // namespace glia::cpu
