#pragma once
// Running (prefix) reductions along the middle dim of a contiguous [outer, n, inner] tensor.
#include "cpu/reduce.h"

namespace glia::cpu {

enum class ScanOp { Sum, Prod, Max, Min, LogSumExp };

// out[..., r, ...] = op over in[..., 0..r, ...]. Max/Min also write the int64 index of the
// running extreme (the latest on ties, and NaN wins, as PyTorch) into `indices`.
void scan(ScanOp op, const Tensor& in, ReduceLayout layout, const Tensor& out,
          const Tensor& indices = Tensor());
// The gradient of cumprod for inputs that may hold zeros, in one pass per line.
void cumprod_backward(const Tensor& x, const Tensor& out, const Tensor& grad, ReduceLayout layout,
                      const Tensor& grad_in);

}  // namespace glia::cpu
