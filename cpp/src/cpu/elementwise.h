#pragma once
// Elementwise kernels. Inputs may be strided or broadcast; `out` is written through its
// own strides (a fresh contiguous tensor, or the target of an in-place op).
#include "glia/tensor.h"

namespace glia::cpu {

enum class UnaryOp {
  Neg, Exp, Expm1, Log, Log1p, Sqrt, Rsqrt, Abs, Sign, Sin, Cos, Tanh, Sigmoid, Relu,
  Square, Reciprocal, Floor, Ceil, Round, Trunc, Erf, Erfc, Log2, Log10, Exp2, Tan, Asin, Acos,
  Atan, Sinh, Cosh, Asinh, Acosh, Atanh, Gelu, GeluDeriv, GeluTanh, GeluTanhDeriv, LogicalNot,
  IsNan, BitwiseNot, Signbit
};
// GELU's constants: 1/sqrt(2) and 1/sqrt(2 pi) of the exact form, sqrt(8/pi) and the cubic
// coefficient of the tanh form (shared by the kernels and the op's double backward).
constexpr double kGeluSqrtHalf = 0.7071067811865476, kGeluInvSqrt2Pi = 0.3989422804014327;
constexpr double kGeluK = 1.5957691216057308, kGeluC = 0.044715;
enum class BinaryOp {
  Add, Sub, Mul, Div, Pow, Minimum, Maximum, Atan2, Hypot, FloorDivide, Remainder, Fmod,
  Copysign, Fmax, Fmin, Nextafter, Gcd, Lcm,
  BitwiseAnd, BitwiseOr, BitwiseXor, ShiftLeft, ShiftRight,
  Eq, Ne, Lt, Le, Gt, Ge, LogicalAnd, LogicalOr, LogicalXor
};

// out = op(a); a and out have the same dtype except for LogicalNot/IsNan (bool out).
// BitwiseNot takes bool or int64 only.
void unary(UnaryOp op, const Tensor& a, const Tensor& out);
// out = op(a, b) with a and b of one dtype, broadcast to out's shape; comparisons and
// logical ops write bool. Integer FloorDivide, Remainder and Fmod need nonzero divisors (the
// op checks); the bitwise ops take bool or int64 only.
void binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out);
// out = a * alpha + b (the in-place add_ with alpha, and axpy-like updates).
void add_scaled(const Tensor& a, const Tensor& b, double alpha, const Tensor& out);
// out = clamp(a, lo, hi)
void clamp(const Tensor& a, double lo, double hi, const Tensor& out);
// out = cond ? a : b, all broadcast to out's shape; a, b, out share a dtype.
void where(const Tensor& cond, const Tensor& a, const Tensor& b, const Tensor& out);
// out = src converted to out's dtype, broadcasting src to out's shape.
void copy(const Tensor& src, const Tensor& out);
void fill(const Tensor& out, double value);

}  // namespace glia::cpu
