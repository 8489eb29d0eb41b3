#pragma once
// Gather/scatter kernels over contiguous tensors laid out as [outer, n, inner].
#include <cstdint>

#include "glia/tensor.h"

namespace glia::cpu {

// out[o, i, :] = src[o, index[i], :]; index values are already bounds-checked.
void index_select(const Tensor& src, int64_t outer, int64_t n, int64_t inner, const Tensor& index,
                  const Tensor& out);
// dst[o, index[i], :] += src[o, i, :]
void index_add(const Tensor& dst, int64_t outer, int64_t n, int64_t inner, const Tensor& index,
               const Tensor& src);
// PyTorch's gather / scatter_add along `dim` (contiguous src, index, out of equal rank).
void gather(const Tensor& src, int64_t dim, const Tensor& index, const Tensor& out);
void scatter_add(const Tensor& dst, int64_t dim, const Tensor& index, const Tensor& src);
// dst[..., index[k], ...] = op(dst[..., index[k], ...], src[k]) in index order (the last
// write wins for Assign); Max/Min propagate NaN.
enum class ScatterOp { Assign, Add, Mul, Max, Min };
void scatter(const Tensor& dst, int64_t dim, const Tensor& index, const Tensor& src, ScatterOp op);
// (count, ndim) int64 coordinates of the non-zero elements of a contiguous tensor.
Tensor nonzero(const Tensor& a);

}  // namespace glia::cpu
