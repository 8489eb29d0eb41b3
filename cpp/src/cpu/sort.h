#pragma once
// Sorting along the middle dim of a contiguous input viewed as [outer, n, inner].
#include <cstdint>

#include "cpu/reduce.h"
#include "glia/tensor.h"

namespace glia::cpu {

// The first k of each line's elements in ascending (or descending) order, with their int64
// positions, into contiguous [outer, k, inner] outputs. NaN counts as the largest value, and
// equal values keep their order (a stable sort).
void sort_lines(const Tensor& in, ReduceLayout layout, int64_t k, bool descending,
                const Tensor& values, const Tensor& indices);

}  // namespace glia::cpu
