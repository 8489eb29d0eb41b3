#pragma once
// Special functions of one float argument, elementwise over contiguous tensors: log|Gamma|,
// digamma, polygamma and the inverse error function.
#include <cstdint>

#include "glia/tensor.h"

namespace glia::cpu {

enum class SpecialFn { Lgamma, Digamma, Polygamma, Erfinv };

// out = fn(in) elementwise (contiguous float tensors of equal shape); `n` is polygamma's order.
void special(SpecialFn fn, int64_t n, const Tensor& in, const Tensor& out);

// The scalar functions, in double precision.
double digamma(double x);
double polygamma(int64_t n, double x);  // n >= 1
double erfinv(double y);

}  // namespace glia::cpu
