#pragma once
// Reduction kernels over a contiguous input viewed as [outer, reduced, inner]; the output
// is contiguous [outer, inner].
#include <cstdint>

#include "glia/tensor.h"

namespace glia::cpu {

enum class ReduceOp { Sum, Prod, Max, Min, Any, All };

struct ReduceLayout {
  int64_t outer, reduced, inner;
};

// Sum/Prod/Max/Min keep the dtype (int64/float); Any/All read any dtype and write bool.
void reduce(ReduceOp op, const Tensor& in, ReduceLayout layout, const Tensor& out);
// Max or min values with the int64 index of the first extreme (NaN counts as extreme).
void arg_reduce(bool is_max, const Tensor& in, ReduceLayout layout, const Tensor& values,
                const Tensor& indices);
// Softmax / log-softmax over rows of a contiguous [rows, n] tensor.
void softmax_rows(const Tensor& in, int64_t rows, int64_t n, bool log, const Tensor& out);

}  // namespace glia::cpu
