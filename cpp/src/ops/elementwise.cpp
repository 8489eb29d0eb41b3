// Elementwise ops with NumPy broadcasting, each followed by its backward.
#include "cpu/elementwise.h"

#include <cmath>
#include <limits>

#include "check.h"
#include "glia/autograd.h"
#include "glia/ops.h"

namespace glia {

using cpu::BinaryOp;
using cpu::UnaryOp;

Tensor floor_float(const Tensor& a);
Tensor ceil_float(const Tensor& a);
Tensor round_float(const Tensor& a);
Tensor trunc_float(const Tensor& a);

namespace {

void check_defined(const Tensor& t, const char* op) {
  GLIA_CHECK(t.defined(), Error, op, ": got an undefined tensor");
}

Tensor as_dtype(const Tensor& t, DType d) { return t.dtype() == d ? t : to_dtype(t, d); }

// Runs a binary kernel after promoting both inputs to `compute` dtype.
Tensor binary_kernel(BinaryOp op, const Tensor& a, const Tensor& b, DType compute, DType out_dtype,
                     const char* name, Tensor* xa = nullptr, Tensor* xb = nullptr) {
  check_defined(a, name);
  check_defined(b, name);
  Shape shape = broadcast_shapes(a.shape(), b.shape(), name);
  Tensor x = as_dtype(a, compute), y = as_dtype(b, compute);
  Tensor out = Tensor::empty(shape, out_dtype);
  cpu::binary(op, x, y, out);
  if (xa) *xa = x;
  if (xb) *xb = y;
  return out;
}

DType types_of(const Tensor& a, const Tensor& b) {
  return result_type(a.dtype(), a.dim() == 0, b.dtype(), b.dim() == 0);
}

// Arithmetic on bools runs in int64 (the bool result is taken back by bool_result).
DType arith_type(const Tensor& a, const Tensor& b) {
  DType t = types_of(a, b);
  return t == DType::Bool ? DType::Int64 : t;
}

// bool op bool stays bool for add, mul, minimum, maximum (as PyTorch: or, and, and, or).
Tensor bool_result(const Tensor& out, const Tensor& a, const Tensor& b) {
  return a.dtype() == DType::Bool && b.dtype() == DType::Bool ? to_dtype(out, DType::Bool) : out;
}

// Integer powers with a negative exponent have no integer result.
void check_int_pow(const Tensor& exponent, DType t) {
  if (t != DType::Int64) return;
  Tensor neg_mask = lt(exponent, zeros({}, exponent.dtype()));
  GLIA_CHECK(!any(neg_mask).item<bool>(), ShapeError,
             "pow: integers to negative integer powers are not allowed");
}

// Float-valued unary op: integer inputs are computed in float32, as in PyTorch.
Tensor unary_kernel(UnaryOp op, const Tensor& a, const char* name, bool to_float) {
  check_defined(a, name);
  Tensor x = a;
  if (to_float && !is_floating(a.dtype())) x = to_dtype(a, DType::Float32);
  if (!to_float && a.dtype() == DType::Bool) x = to_dtype(a, DType::Int64);
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  cpu::unary(op, x, out);
  return out;
}

}  // namespace

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    GLIA_CHECK(da == db || da == 1 || db == 1, ShapeError, op, ": shapes ", a, " and ", b,
               " cannot be broadcast together (dim ", i, ": ", da, " vs ", db, ")");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

// ---- binary arithmetic ----

Tensor add(const Tensor& a, const Tensor& b) {
  Tensor x, y;
  Tensor out = binary_kernel(BinaryOp::Add, a, b, arith_type(a, b), arith_type(a, b), "add", &x, &y);
  if (any_requires_grad({&x, &y})) {
    Shape sa = x.shape(), sb = y.shape();
    attach_grad_fn(out, "AddBackward", {x, y}, [sa, sb](const Tensor& g, const NeedsGrad& n) {
      return Grads{n[0] ? sum_to(g, sa) : Tensor(), n[1] ? sum_to(g, sb) : Tensor()};
    });
  }
  return bool_result(out, a, b);
}

Tensor sub(const Tensor& a, const Tensor& b) {
  GLIA_CHECK(a.dtype() != DType::Bool || b.dtype() != DType::Bool, DTypeError,
             "sub: subtracting bool tensors is not supported; use logical_xor");
  Tensor x, y;
  Tensor out = binary_kernel(BinaryOp::Sub, a, b, arith_type(a, b), arith_type(a, b), "sub", &x, &y);
  if (any_requires_grad({&x, &y})) {
    Shape sa = x.shape(), sb = y.shape();
    attach_grad_fn(out, "SubBackward", {x, y}, [sa, sb](const Tensor& g, const NeedsGrad& n) {
      return Grads{n[0] ? sum_to(g, sa) : Tensor(), n[1] ? sum_to(neg(g), sb) : Tensor()};
    });
  }
  return out;
}

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor x, y;
  Tensor out = binary_kernel(BinaryOp::Mul, a, b, arith_type(a, b), arith_type(a, b), "mul", &x, &y);
  if (any_requires_grad({&x, &y})) {
    attach_grad_fn(
        out, "MulBackward", {x, y},
        [x, y](const Tensor& g, const NeedsGrad& n) {
          return Grads{n[0] ? sum_to(mul(g, y), x.shape()) : Tensor(),
                       n[1] ? sum_to(mul(g, x), y.shape()) : Tensor()};
        },
        {x, y});
  }
  return bool_result(out, a, b);
}

Tensor div(const Tensor& a, const Tensor& b) {
  DType t = arith_type(a, b);
  if (!is_floating(t)) t = DType::Float32;  // true division
  Tensor x, y;
  Tensor out = binary_kernel(BinaryOp::Div, a, b, t, t, "div", &x, &y);
  if (any_requires_grad({&x, &y})) {
    attach_grad_fn(
        out, "DivBackward", {x, y},
        [x, y](const Tensor& g, const NeedsGrad& n) {
          Tensor ga, gb;
          if (n[0]) ga = sum_to(div(g, y), x.shape());
          if (n[1]) gb = sum_to(neg(div(mul(g, x), mul(y, y))), y.shape());
          return Grads{ga, gb};
        },
        {x, y});
  }
  return out;
}

Tensor pow(const Tensor& a, const Tensor& b) {
  Tensor x, y;
  DType t = arith_type(a, b);
  check_int_pow(b, t);
  Tensor out = binary_kernel(BinaryOp::Pow, a, b, t, t, "pow", &x, &y);
  if (any_requires_grad({&x, &y})) {
    Tensor o = out.detach();
    attach_grad_fn(
        out, "PowBackward", {x, y},
        [x, y, o](const Tensor& g, const NeedsGrad& n) {
          Tensor ga, gb;
          if (n[0]) ga = sum_to(mul(g, mul(y, pow(x, sub(y, scalar_like(1, y))))), x.shape());
          if (n[1]) {
            // d/db a^b = a^b log a, taken as 0 where a == 0 and b >= 0 (as PyTorch does)
            Tensor d = mul(saved_output(o), log(x));
            d = where(logical_and(eq(x, scalar_like(0, x)), ge(y, scalar_like(0, y))),
                      zeros_like(d), d);
            gb = sum_to(mul(g, d), y.shape());
          }
          return Grads{ga, gb};
        },
        {x, y, out});
  }
  return out;
}

Tensor pow(const Tensor& a, Scalar exponent) {
  if (exponent.kind != Scalar::Kind::Float && exponent.value == 2.0) return square(a);
  Tensor e = scalar_like(exponent, a);
  check_int_pow(e, arith_type(a, e));
  Tensor x;
  Tensor out = binary_kernel(BinaryOp::Pow, a, e, arith_type(a, e), arith_type(a, e), "pow", &x);
  if (any_requires_grad({&x})) {
    double p = exponent.value;
    attach_grad_fn(
        out, "PowBackward", {x},
        [x, p](const Tensor& g, const NeedsGrad&) {
          if (p == 0.0) return Grads{zeros_like(x)};
          return Grads{mul(g, mul(pow(x, Scalar(p - 1.0)), Scalar(p)))};
        },
        {x});
  }
  return out;
}

Tensor pow(Scalar base, const Tensor& exponent) {
  return pow(scalar_like(base, exponent), exponent);
}

namespace {

// minimum/maximum: the gradient goes to the chosen input, split evenly on ties.
Tensor min_max(const Tensor& a, const Tensor& b, bool is_max) {
  const char* name = is_max ? "maximum" : "minimum";
  Tensor x, y;
  DType t = arith_type(a, b);
  Tensor out = binary_kernel(is_max ? BinaryOp::Maximum : BinaryOp::Minimum, a, b, t, t, name,
                             &x, &y);
  if (any_requires_grad({&x, &y})) {
    attach_grad_fn(
        out, is_max ? "MaximumBackward" : "MinimumBackward", {x, y},
        [x, y, is_max](const Tensor& g, const NeedsGrad& n) {
          Tensor wins = to_dtype(is_max ? gt(x, y) : lt(x, y), g.dtype());
          Tensor ties = mul(to_dtype(eq(x, y), g.dtype()), Scalar(0.5));
          Tensor wa = add(wins, ties);
          Tensor wb = sub(sub(ones_like(wa), wins), ties);
          return Grads{n[0] ? sum_to(mul(g, wa), x.shape()) : Tensor(),
                       n[1] ? sum_to(mul(g, wb), y.shape()) : Tensor()};
        },
        {x, y});
  }
  return bool_result(out, a, b);
}

}  // namespace

Tensor minimum(const Tensor& a, const Tensor& b) { return min_max(a, b, false); }
Tensor maximum(const Tensor& a, const Tensor& b) { return min_max(a, b, true); }

Tensor atan2(const Tensor& a, const Tensor& b) {
  DType t = arith_type(a, b);
  if (!is_floating(t)) t = DType::Float32;
  Tensor x, y;
  Tensor out = binary_kernel(BinaryOp::Atan2, a, b, t, t, "atan2", &x, &y);
  if (any_requires_grad({&x, &y})) {
    attach_grad_fn(
        out, "Atan2Backward", {x, y},
        [x, y](const Tensor& g, const NeedsGrad& n) {
          Tensor r = add(mul(x, x), mul(y, y));
          return Grads{n[0] ? sum_to(div(mul(g, y), r), x.shape()) : Tensor(),
                       n[1] ? sum_to(neg(div(mul(g, x), r)), y.shape()) : Tensor()};
        },
        {x, y});
  }
  return out;
}

Tensor hypot(const Tensor& a, const Tensor& b) {
  DType t = arith_type(a, b);
  if (!is_floating(t)) t = DType::Float32;
  Tensor x, y;
  Tensor out = binary_kernel(BinaryOp::Hypot, a, b, t, t, "hypot", &x, &y);
  if (any_requires_grad({&x, &y})) {
    Tensor o = out.detach();
    attach_grad_fn(
        out, "HypotBackward", {x, y},
        [x, y, o](const Tensor& g, const NeedsGrad& n) {
          Tensor scale = div(g, saved_output(o));
          return Grads{n[0] ? sum_to(mul(scale, x), x.shape()) : Tensor(),
                       n[1] ? sum_to(mul(scale, y), y.shape()) : Tensor()};
        },
        {x, y, out});
  }
  return out;
}

Tensor copysign(const Tensor& a, const Tensor& b) {
  DType t = arith_type(a, b);
  if (!is_floating(t)) t = DType::Float32;
  Tensor x, y;
  Tensor out = binary_kernel(BinaryOp::Copysign, a, b, t, t, "copysign", &x, &y);
  if (any_requires_grad({&x, &y})) {
    // d/dx: +-1 (out / x), 0 at x = 0 (as PyTorch); b only gives a sign
    attach_grad_fn(
        out, "CopysignBackward", {x, y},
        [x, y, o = out.detach()](const Tensor& g, const NeedsGrad& n) {
          Tensor zero = zeros({}, g.dtype());
          Tensor ratio = where(eq(x, zero), zero, div(saved_output(o), x));
          return Grads{n[0] ? sum_to(mul(g, ratio), x.shape()) : Tensor(),
                       n[1] ? zeros(y.shape(), g.dtype()) : Tensor()};
        },
        {x, out});
  }
  return out;
}

namespace {

// fmax/fmin: max/min where a NaN loses to a number; the gradient goes to the chosen side
// (the first on a tie, as PyTorch)
Tensor fmax_fmin(const Tensor& a, const Tensor& b, bool is_max) {
  const char* name = is_max ? "fmax" : "fmin";
  check_defined(a, name);
  check_defined(b, name);
  GLIA_CHECK(types_of(a, b) != DType::Bool, DTypeError, name, ": not supported for bool tensors");
  const DType t = arith_type(a, b);
  Tensor x, y;
  Tensor out = binary_kernel(is_max ? BinaryOp::Fmax : BinaryOp::Fmin, a, b, t, t, name, &x, &y);
  if (any_requires_grad({&x, &y})) {
    attach_grad_fn(
        out, is_max ? "FmaxBackward" : "FminBackward", {x, y},
        [x, y, is_max](const Tensor& g, const NeedsGrad& n) {
          Tensor first = logical_or(is_max ? ge(x, y) : le(x, y), isnan(y));
          Tensor zero = zeros({}, g.dtype());
          return Grads{n[0] ? sum_to(where(first, g, zero), x.shape()) : Tensor(),
                       n[1] ? sum_to(where(first, zero, g), y.shape()) : Tensor()};
        });
  }
  return out;
}

// gcd, lcm, nextafter and the shifts: no gradient
Tensor no_grad_binary(BinaryOp op, const Tensor& a, const Tensor& b, const char* name,
                      bool integers) {
  check_defined(a, name);
  check_defined(b, name);
  const DType t = types_of(a, b);
  GLIA_CHECK(integers ? t == DType::Int64 : is_floating(t), DTypeError, name, ": only ",
             integers ? "integer" : "floating-point", " tensors are supported, got ", a.dtype(),
             " and ", b.dtype());
  return binary_kernel(op, detach(a), detach(b), t, t, name);
}

}  // namespace

Tensor fmax(const Tensor& a, const Tensor& b) { return fmax_fmin(a, b, true); }
Tensor fmin(const Tensor& a, const Tensor& b) { return fmax_fmin(a, b, false); }
Tensor nextafter(const Tensor& a, const Tensor& b) {
  return no_grad_binary(BinaryOp::Nextafter, a, b, "nextafter", false);
}
Tensor gcd(const Tensor& a, const Tensor& b) {
  return no_grad_binary(BinaryOp::Gcd, a, b, "gcd", true);
}
Tensor lcm(const Tensor& a, const Tensor& b) {
  return no_grad_binary(BinaryOp::Lcm, a, b, "lcm", true);
}
Tensor bitwise_left_shift(const Tensor& a, const Tensor& b) {
  return no_grad_binary(BinaryOp::ShiftLeft, a, b, "bitwise_left_shift", true);
}
Tensor bitwise_right_shift(const Tensor& a, const Tensor& b) {
  return no_grad_binary(BinaryOp::ShiftRight, a, b, "bitwise_right_shift", true);
}

Tensor signbit(const Tensor& a) {
  check_defined(a, "signbit");
  if (!is_floating(a.dtype())) return lt(a, scalar_like(0, a));  // ints: negative; bool: never
  // floats: the sign bit itself, so -0.0 and -nan count, as std::signbit
  Tensor out = Tensor::empty(a.shape(), DType::Bool);
  cpu::unary(UnaryOp::Signbit, a, out);
  return out;
}

// ---- division rounded down, and remainders ----

namespace {

// An integer has no quotient by zero: raise, as PyTorch does, rather than trap.
void check_int_divisor(const Tensor& y, const char* op) {
  if (is_floating(y.dtype())) return;
  GLIA_CHECK(!any(eq(y, scalar_like(0, y))).item<bool>(), Error, op,
             ": integer division by zero");
}

}  // namespace

Tensor floor_divide(const Tensor& a, const Tensor& b) {
  Tensor x, y;
  const DType t = arith_type(a, b);
  check_int_divisor(as_dtype(b, t), "floor_divide");
  Tensor out = binary_kernel(BinaryOp::FloorDivide, a, b, t, t, "floor_divide", &x, &y);
  if (any_requires_grad({&x, &y})) {  // a step function: zero almost everywhere, as floor
    attach_grad_fn(out, "FloorDivideBackward", {x, y},
                   [sa = x.shape(), sb = y.shape()](const Tensor& g, const NeedsGrad& n) {
                     return Grads{n[0] ? zeros(sa, g.dtype()) : Tensor(),
                                  n[1] ? zeros(sb, g.dtype()) : Tensor()};
                   });
  }
  return out;
}

// remainder (sign of the divisor, as Python's %) and fmod (sign of the dividend): both are
// x - q * y for a rounded quotient q, whose gradient is zero almost everywhere.
Tensor remainder(const Tensor& a, const Tensor& b) {
  Tensor x, y;
  const DType t = arith_type(a, b);
  check_int_divisor(as_dtype(b, t), "remainder");
  Tensor out = binary_kernel(BinaryOp::Remainder, a, b, t, t, "remainder", &x, &y);
  if (any_requires_grad({&x, &y})) {
    attach_grad_fn(
        out, "RemainderBackward", {x, y},
        [x, y](const Tensor& g, const NeedsGrad& n) {
          return Grads{n[0] ? sum_to(g, x.shape()) : Tensor(),
                       n[1] ? sum_to(neg(mul(g, floor_divide(x, y))), y.shape()) : Tensor()};
        },
        {x, y});
  }
  return out;
}

Tensor fmod(const Tensor& a, const Tensor& b) {
  Tensor x, y;
  const DType t = arith_type(a, b);
  check_int_divisor(as_dtype(b, t), "fmod");
  Tensor out = binary_kernel(BinaryOp::Fmod, a, b, t, t, "fmod", &x, &y);
  if (any_requires_grad({&x, &y})) {
    attach_grad_fn(
        out, "FmodBackward", {x, y},
        [x, y](const Tensor& g, const NeedsGrad& n) {
          return Grads{n[0] ? sum_to(g, x.shape()) : Tensor(),
                       n[1] ? sum_to(neg(mul(g, trunc(div(x, y)))), y.shape()) : Tensor()};
        },
        {x, y});
  }
  return out;
}

// ---- bitwise (bool and int64; no gradient) ----

namespace {

Tensor bitwise(BinaryOp op, const Tensor& a, const Tensor& b, const char* name) {
  check_defined(a, name);
  check_defined(b, name);
  const DType t = types_of(a, b);
  GLIA_CHECK(t == DType::Bool || t == DType::Int64, DTypeError, name,
             ": only bool and integer tensors are supported, got ", a.dtype(), " and ",
             b.dtype());
  return binary_kernel(op, a, b, t, t, name);
}

}  // namespace

Tensor bitwise_and(const Tensor& a, const Tensor& b) {
  return bitwise(BinaryOp::BitwiseAnd, a, b, "bitwise_and");
}
Tensor bitwise_or(const Tensor& a, const Tensor& b) {
  return bitwise(BinaryOp::BitwiseOr, a, b, "bitwise_or");
}
Tensor bitwise_xor(const Tensor& a, const Tensor& b) {
  return bitwise(BinaryOp::BitwiseXor, a, b, "bitwise_xor");
}

Tensor bitwise_not(const Tensor& a) {
  check_defined(a, "bitwise_not");
  GLIA_CHECK(a.dtype() == DType::Bool || a.dtype() == DType::Int64, DTypeError,
             "bitwise_not: only bool and integer tensors are supported, got ", a.dtype());
  Tensor out = Tensor::empty(a.shape(), a.dtype());
  cpu::unary(UnaryOp::BitwiseNot, a, out);
  return out;
}

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  check_defined(cond, "where");
  GLIA_CHECK(cond.dtype() == DType::Bool, DTypeError, "where: condition must be bool, got ",
             cond.dtype());
  Shape shape = broadcast_shapes(broadcast_shapes(cond.shape(), a.shape(), "where"), b.shape(),
                                 "where");
  DType t = types_of(a, b);
  Tensor x = as_dtype(a, t), y = as_dtype(b, t);
  Tensor out = Tensor::empty(shape, t);
  cpu::where(cond, x, y, out);
  if (any_requires_grad({&x, &y})) {
    attach_grad_fn(out, "WhereBackward", {x, y},
                   [cond, sa = x.shape(), sb = y.shape()](const Tensor& g, const NeedsGrad& n) {
                     Tensor z = zeros({}, g.dtype());
                     return Grads{n[0] ? sum_to(where(cond, g, z), sa) : Tensor(),
                                  n[1] ? sum_to(where(cond, z, g), sb) : Tensor()};
                   });
  }
  return out;
}

// ---- comparisons and logic (no gradient) ----

#define GLIA_COMPARE(NAME, OP)                                                        \
  Tensor NAME(const Tensor& a, const Tensor& b) {                                     \
    return binary_kernel(OP, a, b, types_of(a, b), DType::Bool, #NAME);               \
  }
GLIA_COMPARE(eq, BinaryOp::Eq)
GLIA_COMPARE(ne, BinaryOp::Ne)
GLIA_COMPARE(lt, BinaryOp::Lt)
GLIA_COMPARE(le, BinaryOp::Le)
GLIA_COMPARE(gt, BinaryOp::Gt)
GLIA_COMPARE(ge, BinaryOp::Ge)
GLIA_COMPARE(logical_and, BinaryOp::LogicalAnd)
GLIA_COMPARE(logical_or, BinaryOp::LogicalOr)
GLIA_COMPARE(logical_xor, BinaryOp::LogicalXor)
#undef GLIA_COMPARE

Tensor logical_not(const Tensor& a) {
  check_defined(a, "logical_not");
  Tensor out = Tensor::empty(a.shape(), DType::Bool);
  cpu::unary(UnaryOp::LogicalNot, a, out);
  return out;
}

Tensor isnan(const Tensor& a) {
  check_defined(a, "isnan");
  Tensor out = Tensor::empty(a.shape(), DType::Bool);
  cpu::unary(UnaryOp::IsNan, a, out);
  return out;
}

Tensor isinf(const Tensor& a) {
  check_defined(a, "isinf");
  if (!is_floating(a.dtype())) return zeros(a.shape(), DType::Bool);
  return eq(abs(detach(a)), scalar_like(std::numeric_limits<double>::infinity(), a));
}

Tensor isfinite(const Tensor& a) {
  check_defined(a, "isfinite");
  if (!is_floating(a.dtype())) return ones(a.shape(), DType::Bool);
  return logical_not(logical_or(isnan(a), isinf(a)));
}

// ---- unary ----

// Defines a unary op whose backward reads the input `x`, the detached output `o` (use
// saved_output(o) in the formula) and the incoming gradient `g`.
#define GLIA_UNARY_OP(NAME, KERNEL, TO_FLOAT, NODE, GRAD)                               \
  Tensor NAME(const Tensor& a) {                                                       \
    Tensor out = unary_kernel(KERNEL, a, #NAME, TO_FLOAT);                             \
    if (any_requires_grad({&a})) {                                                     \
      Tensor x = a, o = out.detach();                                                  \
      attach_grad_fn(                                                                  \
          out, NODE, {a},                                                              \
          [x, o](const Tensor& g, const NeedsGrad&) {                                  \
            (void)x;                                                                   \
            (void)o;                                                                   \
            return Grads{GRAD};                                                        \
          },                                                                           \
          {a, out});                                                                   \
    }                                                                                  \
    return out;                                                                        \
  }

GLIA_UNARY_OP(neg, UnaryOp::Neg, false, "NegBackward", neg(g))
GLIA_UNARY_OP(exp, UnaryOp::Exp, true, "ExpBackward", mul(g, saved_output(o)))
GLIA_UNARY_OP(expm1, UnaryOp::Expm1, true, "Expm1Backward", mul(g, add(saved_output(o), 1)))
GLIA_UNARY_OP(log, UnaryOp::Log, true, "LogBackward", div(g, x))
GLIA_UNARY_OP(log1p, UnaryOp::Log1p, true, "Log1pBackward", div(g, add(x, 1)))
GLIA_UNARY_OP(sqrt, UnaryOp::Sqrt, true, "SqrtBackward", div(g, mul(saved_output(o), 2)))
GLIA_UNARY_OP(rsqrt, UnaryOp::Rsqrt, true, "RsqrtBackward",
              mul(g, mul(pow(saved_output(o), 3), -0.5)))
GLIA_UNARY_OP(abs, UnaryOp::Abs, false, "AbsBackward", mul(g, sign(x)))
GLIA_UNARY_OP(sign, UnaryOp::Sign, false, "SignBackward", zeros_like(g))
GLIA_UNARY_OP(sin, UnaryOp::Sin, true, "SinBackward", mul(g, cos(x)))
GLIA_UNARY_OP(cos, UnaryOp::Cos, true, "CosBackward", neg(mul(g, sin(x))))
GLIA_UNARY_OP(tanh, UnaryOp::Tanh, true, "TanhBackward",
              mul(g, sub(1, square(saved_output(o)))))
GLIA_UNARY_OP(sigmoid, UnaryOp::Sigmoid, true, "SigmoidBackward",
              mul(g, mul(saved_output(o), sub(1, saved_output(o)))))
GLIA_UNARY_OP(relu, UnaryOp::Relu, false, "ReluBackward",
              where(gt(o, scalar_like(0, o)), g, zeros({}, g.dtype())))
GLIA_UNARY_OP(square, UnaryOp::Square, false, "SquareBackward", mul(g, mul(x, 2)))
GLIA_UNARY_OP(reciprocal, UnaryOp::Reciprocal, true, "ReciprocalBackward",
              neg(mul(g, square(saved_output(o)))))
GLIA_UNARY_OP(floor_float, UnaryOp::Floor, true, "FloorBackward", zeros_like(g))
GLIA_UNARY_OP(ceil_float, UnaryOp::Ceil, true, "CeilBackward", zeros_like(g))
GLIA_UNARY_OP(round_float, UnaryOp::Round, true, "RoundBackward", zeros_like(g))
GLIA_UNARY_OP(trunc_float, UnaryOp::Trunc, true, "TruncBackward", zeros_like(g))
GLIA_UNARY_OP(log2, UnaryOp::Log2, true, "Log2Backward", div(g, mul(x, 0.6931471805599453)))
GLIA_UNARY_OP(log10, UnaryOp::Log10, true, "Log10Backward", div(g, mul(x, 2.302585092994046)))
GLIA_UNARY_OP(exp2, UnaryOp::Exp2, true, "Exp2Backward",
              mul(g, mul(saved_output(o), 0.6931471805599453)))  // ln 2 * 2^x
GLIA_UNARY_OP(erf, UnaryOp::Erf, true, "ErfBackward",
              mul(g, mul(exp(neg(square(x))), 1.1283791670955126)))  // 2/sqrt(pi) e^(-x^2)
GLIA_UNARY_OP(erfc, UnaryOp::Erfc, true, "ErfcBackward",
              mul(g, mul(exp(neg(square(x))), -1.1283791670955126)))
GLIA_UNARY_OP(tan, UnaryOp::Tan, true, "TanBackward",
              mul(g, add(square(saved_output(o)), 1)))  // 1 + tan^2
GLIA_UNARY_OP(asin, UnaryOp::Asin, true, "AsinBackward", mul(g, rsqrt(sub(1, square(x)))))
GLIA_UNARY_OP(acos, UnaryOp::Acos, true, "AcosBackward", neg(mul(g, rsqrt(sub(1, square(x))))))
GLIA_UNARY_OP(atan, UnaryOp::Atan, true, "AtanBackward", div(g, add(square(x), 1)))
GLIA_UNARY_OP(sinh, UnaryOp::Sinh, true, "SinhBackward", mul(g, cosh(x)))
GLIA_UNARY_OP(cosh, UnaryOp::Cosh, true, "CoshBackward", mul(g, sinh(x)))
GLIA_UNARY_OP(asinh, UnaryOp::Asinh, true, "AsinhBackward", mul(g, rsqrt(add(square(x), 1))))
GLIA_UNARY_OP(acosh, UnaryOp::Acosh, true, "AcoshBackward",
              mul(g, rsqrt(mul(sub(x, 1), add(x, 1)))))  // 1/sqrt(x^2-1), exact near 1
GLIA_UNARY_OP(atanh, UnaryOp::Atanh, true, "AtanhBackward", div(g, sub(1, square(x))))
#undef GLIA_UNARY_OP

namespace {

// GELU's derivative (Phi(x) + x phi(x), or that of the tanh form) in one pass; its own
// derivative, needed only for double backward, is composed of ops.
Tensor gelu_deriv(const Tensor& a, bool tanh_form) {
  Tensor out = unary_kernel(tanh_form ? UnaryOp::GeluTanhDeriv : UnaryOp::GeluDeriv, a, "gelu", true);
  if (any_requires_grad({&a})) {
    Tensor x = a;
    attach_grad_fn(
        out, "GeluBackwardBackward", {a},
        [x, tanh_form](const Tensor& g, const NeedsGrad&) {
          if (!tanh_form)  // phi(x) (2 - x^2)
            return Grads{mul(g, mul(mul(exp(mul(square(x), -0.5)), cpu::kGeluInvSqrt2Pi),
                                    sub(2, square(x))))};
          // s (1 - s) (2 u' + x ((1 - 2 s) u'^2 + u'')), s = sigmoid(u), u = k (x + c x^3)
          const double k = cpu::kGeluK, c = cpu::kGeluC;
          Tensor s = sigmoid(mul(add(x, mul(pow(x, 3), c)), k));
          Tensor du = mul(add(mul(square(x), 3 * c), 1), k), d2u = mul(x, 6 * k * c);
          Tensor inner = add(mul(du, 2), mul(x, add(mul(sub(1, mul(s, 2)), square(du)), d2u)));
          return Grads{mul(g, mul(mul(s, sub(1, s)), inner))};
        },
        {a});
  }
  return out;
}

}  // namespace

Tensor gelu(const Tensor& a, bool tanh_form) {
  Tensor out = unary_kernel(tanh_form ? UnaryOp::GeluTanh : UnaryOp::Gelu, a, "gelu", true);
  if (any_requires_grad({&a})) {
    Tensor x = a;
    attach_grad_fn(
        out, "GeluBackward", {a},
        [x, tanh_form](const Tensor& g, const NeedsGrad&) {
          return Grads{mul(g, gelu_deriv(x, tanh_form))};
        },
        {a});
  }
  return out;
}

// Rounding an integer tensor gives an integer copy, as in PyTorch.
Tensor floor(const Tensor& a) { return is_floating(a.dtype()) ? floor_float(a) : clone(a); }
Tensor ceil(const Tensor& a) { return is_floating(a.dtype()) ? ceil_float(a) : clone(a); }
Tensor round(const Tensor& a) { return is_floating(a.dtype()) ? round_float(a) : clone(a); }
Tensor trunc(const Tensor& a) { return is_floating(a.dtype()) ? trunc_float(a) : clone(a); }

Tensor clamp(const Tensor& a, std::optional<double> min, std::optional<double> max) {
  check_defined(a, "clamp");
  GLIA_CHECK(min || max, Error, "clamp: at least one of min and max must be given");
  GLIA_CHECK(a.dtype() != DType::Bool, DTypeError, "clamp: not supported for bool tensors");
  double lo = min.value_or(-INFINITY), hi = max.value_or(INFINITY);
  Tensor x = a;
  if (!is_floating(a.dtype()) && ((min && *min != std::floor(*min)) || (max && *max != std::floor(*max))))
    x = to_dtype(a, DType::Float32);
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  cpu::clamp(x, lo, hi, out);
  if (any_requires_grad({&x})) {
    attach_grad_fn(
        out, "ClampBackward", {x},
        [x, lo, hi](const Tensor& g, const NeedsGrad&) {
          Tensor inside = logical_and(ge(x, scalar_like(lo, x)), le(x, scalar_like(hi, x)));
          return Grads{where(inside, g, zeros({}, g.dtype()))};
        },
        {x});
  }
  return out;
}

// ---- numbers as operands ----

Tensor scalar_like(Scalar s, const Tensor& like) {
  return scalar_tensor(s, promote_with_scalar(like.dtype(), s));
}

Tensor add(const Tensor& a, Scalar b) { return add(a, scalar_like(b, a)); }
Tensor sub(const Tensor& a, Scalar b) { return sub(a, scalar_like(b, a)); }
Tensor sub(Scalar a, const Tensor& b) { return sub(scalar_like(a, b), b); }
Tensor mul(const Tensor& a, Scalar b) { return mul(a, scalar_like(b, a)); }
Tensor div(const Tensor& a, Scalar b) { return div(a, scalar_like(b, a)); }
Tensor div(Scalar a, const Tensor& b) { return div(scalar_like(a, b), b); }

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator-(const Tensor& a) { return neg(a); }
Tensor operator+(const Tensor& a, Scalar b) { return add(a, b); }
Tensor operator-(const Tensor& a, Scalar b) { return sub(a, b); }
Tensor operator*(const Tensor& a, Scalar b) { return mul(a, b); }
Tensor operator/(const Tensor& a, Scalar b) { return div(a, b); }
Tensor operator+(Scalar a, const Tensor& b) { return add(b, a); }
Tensor operator-(Scalar a, const Tensor& b) { return sub(a, b); }
Tensor operator*(Scalar a, const Tensor& b) { return mul(b, a); }
Tensor operator/(Scalar a, const Tensor& b) { return div(a, b); }

}  // namespace glia
