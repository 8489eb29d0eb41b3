#include "cpu/elementwise.h"

#include <Eigen/Core>
#include <unsupported/Eigen/SpecialFunctions>
#include <cmath>
#include <cstring>
#include <limits>

#include "cpu/exp.h"
#include "cpu/loops.h"
#include "dispatch.h"

namespace glia::cpu {
namespace {

template <class T>
using ArrayMap = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;
template <class T>
using ConstArrayMap = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;

// Each functor has a scalar form and, where Eigen vectorises it, an array form used on
// contiguous data.
#define GLIA_UNARY(NAME, SCALAR, EIGEN)                      \
  struct NAME {                                              \
    template <class T>                                       \
    static T f(T x) {                                        \
      return SCALAR;                                         \
    }                                                        \
    template <class A>                                       \
    static auto array(const A& a) {                          \
      return EIGEN;                                          \
    }                                                        \
  };

GLIA_UNARY(NegF, -x, -a)
GLIA_UNARY(ExpF, std::exp(x), a.exp())
GLIA_UNARY(Expm1F, std::expm1(x), a.expm1())
GLIA_UNARY(LogF, std::log(x), a.log())
GLIA_UNARY(Log1pF, std::log1p(x), a.log1p())
GLIA_UNARY(SqrtF, std::sqrt(x), a.sqrt())
GLIA_UNARY(RsqrtF, T(1) / std::sqrt(x), a.rsqrt())
GLIA_UNARY(AbsF, x < 0 ? -x : x, a.abs())
GLIA_UNARY(SignF, T((x > 0) - (x < 0)), a.sign())
GLIA_UNARY(SinF, std::sin(x), a.sin())
GLIA_UNARY(CosF, std::cos(x), a.cos())
GLIA_UNARY(TanhF, std::tanh(x), a.tanh())
GLIA_UNARY(SigmoidF, T(1) / (T(1) + std::exp(-x)), a.logistic())
GLIA_UNARY(ReluF, x <= T(0) ? T(0) : x, a.max(typename A::Scalar(0)))  // keeps nan, as torch
GLIA_UNARY(SquareF, x * x, a.square())
GLIA_UNARY(ReciprocalF, T(1) / x, a.inverse())
GLIA_UNARY(FloorF, std::floor(x), a.floor())
GLIA_UNARY(CeilF, std::ceil(x), a.ceil())
GLIA_UNARY(RoundF, std::nearbyint(x), a.rint())
GLIA_UNARY(TruncF, std::trunc(x), a.unaryExpr([](typename A::Scalar v) { return std::trunc(v); }))
GLIA_UNARY(Log2F, std::log2(x), a.unaryExpr([](typename A::Scalar v) { return std::log2(v); }))
GLIA_UNARY(Log10F, std::log10(x), a.log10())
GLIA_UNARY(Exp2F, std::exp2(x), a.unaryExpr([](typename A::Scalar v) { return std::exp2(v); }))
// Eigen's erf: a vectorised rational approximation in float32 (a few ulp, as torch's), the
// C library's in float64
GLIA_UNARY(ErfF, std::erf(x), a.erf())
GLIA_UNARY(ErfcF, std::erfc(x), a.unaryExpr([](typename A::Scalar v) { return std::erfc(v); }))
GLIA_UNARY(TanF, std::tan(x), a.unaryExpr([](typename A::Scalar v) { return std::tan(v); }))
GLIA_UNARY(AsinF, std::asin(x), a.unaryExpr([](typename A::Scalar v) { return std::asin(v); }))
GLIA_UNARY(AcosF, std::acos(x), a.unaryExpr([](typename A::Scalar v) { return std::acos(v); }))
GLIA_UNARY(AtanF, std::atan(x), a.unaryExpr([](typename A::Scalar v) { return std::atan(v); }))
GLIA_UNARY(SinhF, std::sinh(x), a.unaryExpr([](typename A::Scalar v) { return std::sinh(v); }))
GLIA_UNARY(CoshF, std::cosh(x), a.unaryExpr([](typename A::Scalar v) { return std::cosh(v); }))
GLIA_UNARY(AsinhF, std::asinh(x), a.unaryExpr([](typename A::Scalar v) { return std::asinh(v); }))
GLIA_UNARY(AcoshF, std::acosh(x), a.unaryExpr([](typename A::Scalar v) { return std::acosh(v); }))
GLIA_UNARY(AtanhF, std::atanh(x), a.unaryExpr([](typename A::Scalar v) { return std::atanh(v); }))
// GELU, x Phi(x), and its derivative Phi(x) + x phi(x), each in one pass (F.gelu was five
// ops). The tanh form is x sigmoid(u), u = sqrt(8/pi) (x + 0.044715 x^3): 0.5 (1 + tanh(u/2))
// written without the cancellation of tanh near -1.
#define GLIA_S(v) typename A::Scalar(v)
GLIA_UNARY(GeluF, x * T(0.5) * (T(1) + std::erf(x * T(kGeluSqrtHalf))),
           a * GLIA_S(0.5) * ((a * GLIA_S(kGeluSqrtHalf)).erf() + GLIA_S(1)))
GLIA_UNARY(GeluDerivF,
           T(0.5) * (T(1) + std::erf(x * T(kGeluSqrtHalf))) +
               x * T(kGeluInvSqrt2Pi) * std::exp(T(-0.5) * x * x),
           GLIA_S(0.5) * ((a * GLIA_S(kGeluSqrtHalf)).erf() + GLIA_S(1)) +
               a * GLIA_S(kGeluInvSqrt2Pi) * (a.square() * GLIA_S(-0.5)).exp())
GLIA_UNARY(GeluTanhF, x / (T(1) + std::exp(-T(kGeluK) * (x + T(kGeluC) * x * x * x))),
           a * (GLIA_S(kGeluK) * (a + GLIA_S(kGeluC) * a.cube())).logistic())
template <class T>
T gelu_tanh_deriv(T x) {
  const T s = T(1) / (T(1) + std::exp(-T(kGeluK) * (x + T(kGeluC) * x * x * x)));
  return s + x * s * (T(1) - s) * T(kGeluK) * (T(1) + T(3 * kGeluC) * x * x);
}
template <class A>
auto gelu_tanh_deriv_array(const A& a) {  // s is evaluated once, not per use
  using S = typename A::Scalar;
  const Eigen::Array<S, Eigen::Dynamic, 1> s = (S(kGeluK) * (a + S(kGeluC) * a.cube())).logistic();
  return Eigen::Array<S, Eigen::Dynamic, 1>(
      s + a * s * (S(1) - s) * S(kGeluK) * (S(1) + S(3 * kGeluC) * a.square()));
}
GLIA_UNARY(GeluTanhDerivF, gelu_tanh_deriv(x), gelu_tanh_deriv_array(a))
#undef GLIA_S
#undef GLIA_UNARY

template <class T, class Op>
void run_unary(const Tensor& a, const Tensor& out) {
  const T* pa = a.data<T>();
  T* po = out.data<T>();
  if (a.is_contiguous() && out.is_contiguous()) {
    parallel_for(0, out.numel(), kParallelGrain, [&](int64_t b, int64_t e) {
      if constexpr (std::is_same_v<Op, ExpF>) {
        exp_exact(pa + b, T(0), po + b, e - b);
      } else {
        ArrayMap<T>(po + b, e - b) = Op::array(ConstArrayMap<T>(pa + b, e - b));
      }
    });
    return;
  }
  strided_for<2>(out.shape(), {&out.strides(), &a.strides()},
                 [&](int64_t n, const int64_t* off, const int64_t* st) {
                   T* o = po + off[0];
                   const T* x = pa + off[1];
                   for (int64_t i = 0; i < n; ++i) o[i * st[0]] = Op::template f<T>(x[i * st[1]]);
                 });
}

template <class In, class Out, class F>
void map_unary(const Tensor& a, const Tensor& out, const F& f) {
  const In* pa = a.data<In>();
  Out* po = out.data<Out>();
  strided_for<2>(out.shape(), {&out.strides(), &a.strides()},
                 [&](int64_t n, const int64_t* off, const int64_t* st) {
                   Out* o = po + off[0];
                   const In* x = pa + off[1];
                   if (st[0] == 1 && st[1] == 1) {  // contiguous runs: a loop that vectorises
                     for (int64_t i = 0; i < n; ++i) o[i] = f(x[i]);
                     return;
                   }
                   for (int64_t i = 0; i < n; ++i) o[i * st[0]] = f(x[i * st[1]]);
                 });
}

template <class Op>
void unary_float(const Tensor& a, const Tensor& out, const char* name) {
  dispatch_float(a.dtype(), name, [&](auto tag) {
    using T = typename decltype(tag)::type;
    run_unary<T, Op>(a, out);
  });
}

template <class Op>
void unary_numeric(const Tensor& a, const Tensor& out, const char* name) {
  dispatch_numeric(a.dtype(), name, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_floating_point_v<T>) {
      run_unary<T, Op>(a, out);
    } else {
      map_unary<T, T>(a, out, [](T x) { return Op::template f<T>(x); });
    }
  });
}

// Binary scalar functors; comparisons return bool.
template <class T>
T pow_scalar(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    if (b < 0) return a == 1 ? 1 : (a == -1 ? (b % 2 ? -1 : 1) : 0);
    T r = 1;
    while (b) {
      if (b & 1) r *= a;
      a *= a;
      b >>= 1;
    }
    return r;
  } else {
    return std::pow(a, b);
  }
}

template <class T>
T min_nan(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<T>::quiet_NaN();
  }
  return a < b ? a : b;
}
template <class T>
T max_nan(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<T>::quiet_NaN();
  }
  return a > b ? a : b;
}

// Division rounded toward -inf, and the remainders of division rounded toward -inf (sign of
// the divisor, as Python's %) and toward zero (fmod, sign of the dividend), as PyTorch
// computes them. Integer divisors are nonzero (checked by the op); x / -1 is written as -x
// since INT64_MIN / -1 traps.
template <class T>
T floor_divide_scalar(T x, T y) {
  if constexpr (std::is_integral_v<T>) {
    if (y == -1) return T(0 - static_cast<uint64_t>(x));
    const T q = x / y;
    return (x % y != 0 && ((x < 0) != (y < 0))) ? q - 1 : q;
  } else {
    if (y == 0) return x / y;
    const T mod = std::fmod(x, y);
    T div = (x - mod) / y;
    if (mod != 0 && ((y < 0) != (mod < 0))) div -= 1;
    if (div == 0) return std::copysign(T(0), x / y);
    T floored = std::floor(div);
    if (div - floored > T(0.5)) floored += 1;  // (x - mod) / y rounded just below an integer
    return floored;
  }
}
template <class T>
T fmod_scalar(T x, T y) {
  if constexpr (std::is_integral_v<T>) return y == -1 ? T(0) : T(x % y);
  else return std::fmod(x, y);
}
template <class T>
T remainder_scalar(T x, T y) {
  const T r = fmod_scalar(x, y);
  return (r != 0 && ((r < 0) != (y < 0))) ? T(r + y) : r;
}

template <class T>
bool is_nan_value(T x) {
  if constexpr (std::is_floating_point_v<T>) return std::isnan(x);
  else return false;
}

template <class T>
uint64_t abs_u64(T x) {
  return x < 0 ? uint64_t(0) - uint64_t(x) : uint64_t(x);  // |INT64_MIN| fits as unsigned
}

// Euclid on the magnitudes: the result is never negative
template <class T>
uint64_t gcd_abs(T x, T y) {
  uint64_t a = abs_u64(x), b = abs_u64(y);
  while (b) {
    const uint64_t r = a % b;
    a = b;
    b = r;
  }
  return a;
}

template <class T, class Out, class F>
void map_binary(const Tensor& a, const Tensor& b, const Tensor& out, const F& f) {
  const T* pa = a.data<T>();
  const T* pb = b.data<T>();
  Out* po = out.data<Out>();
  Shape sa = broadcast_strides(a, out.shape()), sb = broadcast_strides(b, out.shape());
  strided_for<3>(out.shape(), {&out.strides(), &sa, &sb},
                 [&](int64_t n, const int64_t* off, const int64_t* st) {
                   Out* o = po + off[0];
                   const T* x = pa + off[1];
                   const T* y = pb + off[2];
                   if (st[0] == 1 && st[1] == 1 && st[2] == 1) {
                     for (int64_t i = 0; i < n; ++i) o[i] = f(x[i], y[i]);
                   } else if (st[0] == 1 && st[1] == 1 && st[2] == 0) {
                     const T yv = *y;
                     for (int64_t i = 0; i < n; ++i) o[i] = f(x[i], yv);
                   } else if (st[0] == 1 && st[1] == 0 && st[2] == 1) {
                     const T xv = *x;
                     for (int64_t i = 0; i < n; ++i) o[i] = f(xv, y[i]);
                   } else {
                     for (int64_t i = 0; i < n; ++i) o[i * st[0]] = f(x[i * st[1]], y[i * st[2]]);
                   }
                 });
}

template <class T>
void arith(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  switch (op) {
    case BinaryOp::Add: return map_binary<T, T>(a, b, out, [](T x, T y) { return T(x + y); });
    case BinaryOp::Sub: return map_binary<T, T>(a, b, out, [](T x, T y) { return T(x - y); });
    case BinaryOp::Mul: return map_binary<T, T>(a, b, out, [](T x, T y) { return T(x * y); });
    case BinaryOp::Div:
      if constexpr (std::is_integral_v<T>) {
        throw DTypeError("div: integer inputs must be converted to float first");
      } else {
        return map_binary<T, T>(a, b, out, [](T x, T y) { return x / y; });
      }
    case BinaryOp::Pow: return map_binary<T, T>(a, b, out, [](T x, T y) { return pow_scalar(x, y); });
    case BinaryOp::Minimum: return map_binary<T, T>(a, b, out, [](T x, T y) { return min_nan(x, y); });
    case BinaryOp::Maximum: return map_binary<T, T>(a, b, out, [](T x, T y) { return max_nan(x, y); });
    case BinaryOp::Atan2:
      if constexpr (std::is_integral_v<T>) {
        throw DTypeError("atan2: integer inputs must be converted to float first");
      } else {
        return map_binary<T, T>(a, b, out, [](T x, T y) { return std::atan2(x, y); });
      }
    case BinaryOp::Hypot:
      if constexpr (std::is_integral_v<T>) {
        throw DTypeError("hypot: integer inputs must be converted to float first");
      } else {
        return map_binary<T, T>(a, b, out, [](T x, T y) { return std::hypot(x, y); });
      }
    case BinaryOp::FloorDivide:
      return map_binary<T, T>(a, b, out, [](T x, T y) { return floor_divide_scalar(x, y); });
    case BinaryOp::Remainder:
      return map_binary<T, T>(a, b, out, [](T x, T y) { return remainder_scalar(x, y); });
    case BinaryOp::Fmod:
      return map_binary<T, T>(a, b, out, [](T x, T y) { return fmod_scalar(x, y); });
    case BinaryOp::Fmax:  // a NaN loses to a number
      return map_binary<T, T>(a, b, out, [](T x, T y) { return is_nan_value(y) || x >= y ? x : y; });
    case BinaryOp::Fmin:  // on a tie (-0.0 and 0.0 too) the first, as PyTorch
      return map_binary<T, T>(a, b, out, [](T x, T y) { return is_nan_value(y) || x <= y ? x : y; });
    case BinaryOp::Copysign:
    case BinaryOp::Nextafter:
      if constexpr (std::is_integral_v<T>) {
        throw DTypeError("copysign/nextafter: integer inputs must be converted to float first");
      } else if (op == BinaryOp::Copysign) {
        return map_binary<T, T>(a, b, out, [](T x, T y) { return std::copysign(x, y); });
      } else {
        return map_binary<T, T>(a, b, out, [](T x, T y) { return std::nextafter(x, y); });
      }
    case BinaryOp::Gcd:
    case BinaryOp::Lcm:
      if constexpr (!std::is_integral_v<T>) {
        throw DTypeError("gcd/lcm: only integer tensors are supported");
      } else if (op == BinaryOp::Gcd) {
        return map_binary<T, T>(a, b, out, [](T x, T y) { return T(gcd_abs(x, y)); });
      } else {  // |x y| / gcd, and 0 when either is 0
        return map_binary<T, T>(a, b, out, [](T x, T y) {
          const uint64_t g = gcd_abs(x, y);
          return g == 0 ? T(0) : T(abs_u64(x) / g * abs_u64(y));
        });
      }
    default: break;
  }
  throw Error("binary: not an arithmetic op");
}

template <class T>
void compare(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  switch (op) {
    case BinaryOp::Eq: return map_binary<T, bool>(a, b, out, [](T x, T y) { return x == y; });
    case BinaryOp::Ne: return map_binary<T, bool>(a, b, out, [](T x, T y) { return x != y; });
    case BinaryOp::Lt: return map_binary<T, bool>(a, b, out, [](T x, T y) { return x < y; });
    case BinaryOp::Le: return map_binary<T, bool>(a, b, out, [](T x, T y) { return x <= y; });
    case BinaryOp::Gt: return map_binary<T, bool>(a, b, out, [](T x, T y) { return x > y; });
    case BinaryOp::Ge: return map_binary<T, bool>(a, b, out, [](T x, T y) { return x >= y; });
    case BinaryOp::LogicalAnd:
      return map_binary<T, bool>(a, b, out, [](T x, T y) { return x != T(0) && y != T(0); });
    case BinaryOp::LogicalOr:
      return map_binary<T, bool>(a, b, out, [](T x, T y) { return x != T(0) || y != T(0); });
    case BinaryOp::LogicalXor:
      return map_binary<T, bool>(a, b, out, [](T x, T y) { return (x != T(0)) != (y != T(0)); });
    default: break;
  }
  throw Error("binary: not a comparison");
}

// Same-shape contiguous float add/sub/mul/div go through Eigen's vectorised arrays.
template <class T>
bool try_contiguous_arith(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  if (!(a.shape() == out.shape() && b.shape() == out.shape() && a.is_contiguous() &&
        b.is_contiguous() && out.is_contiguous()))
    return false;
  if (op != BinaryOp::Add && op != BinaryOp::Sub && op != BinaryOp::Mul && op != BinaryOp::Div)
    return false;
  const T* pa = a.data<T>();
  const T* pb = b.data<T>();
  T* po = out.data<T>();
  parallel_for(0, out.numel(), kParallelGrain, [&](int64_t s, int64_t e) {
    ConstArrayMap<T> x(pa + s, e - s), y(pb + s, e - s);
    ArrayMap<T> o(po + s, e - s);
    switch (op) {
      case BinaryOp::Add: o = x + y; break;
      case BinaryOp::Sub: o = x - y; break;
      case BinaryOp::Mul: o = x * y; break;
      default: o = x / y; break;
    }
  });
  return true;
}

bool is_comparison(BinaryOp op) { return op >= BinaryOp::Eq; }
bool is_bitwise(BinaryOp op) { return op >= BinaryOp::BitwiseAnd && op <= BinaryOp::ShiftRight; }

template <class T>
void bitwise(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  switch (op) {
    case BinaryOp::BitwiseAnd: return map_binary<T, T>(a, b, out, [](T x, T y) { return T(x & y); });
    case BinaryOp::BitwiseOr: return map_binary<T, T>(a, b, out, [](T x, T y) { return T(x | y); });
    case BinaryOp::ShiftLeft:
    case BinaryOp::ShiftRight:
      if constexpr (std::is_same_v<T, bool>) {
        throw DTypeError("bitwise shifts: only integer tensors are supported");
      } else if (op == BinaryOp::ShiftLeft) {  // shifts past the width (or negative) give 0
        return map_binary<T, T>(a, b, out, [](T x, T y) {
          return y < 0 || y >= 64 ? T(0) : T(uint64_t(x) << y);
        });
      } else {  // arithmetic: past the width (or negative), the sign fills, as PyTorch
        return map_binary<T, T>(a, b, out, [](T x, T y) {
          return T(x >> (y < 0 || y > 63 ? T(63) : y));
        });
      }
    default: return map_binary<T, T>(a, b, out, [](T x, T y) { return T(x ^ y); });
  }
}

// bool or int64: the dtypes with bits to operate on.
template <class F>
void dispatch_bits(DType d, const char* op, const F& fn) {
  if (d == DType::Bool) return fn(TypeTag<bool>{});
  if (d == DType::Int64) return fn(TypeTag<int64_t>{});
  throw DTypeError(std::string(op) + ": only bool and integer tensors are supported");
}

}  // namespace

void unary(UnaryOp op, const Tensor& a, const Tensor& out) {
  switch (op) {
    case UnaryOp::Neg: return unary_numeric<NegF>(a, out, "neg");
    case UnaryOp::Abs: return unary_numeric<AbsF>(a, out, "abs");
    case UnaryOp::Sign: return unary_numeric<SignF>(a, out, "sign");
    case UnaryOp::Relu: return unary_numeric<ReluF>(a, out, "relu");
    case UnaryOp::Square: return unary_numeric<SquareF>(a, out, "square");
    case UnaryOp::Exp: return unary_float<ExpF>(a, out, "exp");
    case UnaryOp::Expm1: return unary_float<Expm1F>(a, out, "expm1");
    case UnaryOp::Log: return unary_float<LogF>(a, out, "log");
    case UnaryOp::Log1p: return unary_float<Log1pF>(a, out, "log1p");
    case UnaryOp::Sqrt: return unary_float<SqrtF>(a, out, "sqrt");
    case UnaryOp::Rsqrt: return unary_float<RsqrtF>(a, out, "rsqrt");
    case UnaryOp::Sin: return unary_float<SinF>(a, out, "sin");
    case UnaryOp::Cos: return unary_float<CosF>(a, out, "cos");
    case UnaryOp::Tanh: return unary_float<TanhF>(a, out, "tanh");
    case UnaryOp::Sigmoid: return unary_float<SigmoidF>(a, out, "sigmoid");
    case UnaryOp::Reciprocal: return unary_float<ReciprocalF>(a, out, "reciprocal");
    case UnaryOp::Floor: return unary_float<FloorF>(a, out, "floor");
    case UnaryOp::Ceil: return unary_float<CeilF>(a, out, "ceil");
    case UnaryOp::Round: return unary_float<RoundF>(a, out, "round");
    case UnaryOp::Trunc: return unary_float<TruncF>(a, out, "trunc");
    case UnaryOp::Erf: return unary_float<ErfF>(a, out, "erf");
    case UnaryOp::Erfc: return unary_float<ErfcF>(a, out, "erfc");
    case UnaryOp::Tan: return unary_float<TanF>(a, out, "tan");
    case UnaryOp::Asin: return unary_float<AsinF>(a, out, "asin");
    case UnaryOp::Acos: return unary_float<AcosF>(a, out, "acos");
    case UnaryOp::Atan: return unary_float<AtanF>(a, out, "atan");
    case UnaryOp::Sinh: return unary_float<SinhF>(a, out, "sinh");
    case UnaryOp::Cosh: return unary_float<CoshF>(a, out, "cosh");
    case UnaryOp::Asinh: return unary_float<AsinhF>(a, out, "asinh");
    case UnaryOp::Acosh: return unary_float<AcoshF>(a, out, "acosh");
    case UnaryOp::Atanh: return unary_float<AtanhF>(a, out, "atanh");
    case UnaryOp::Log2: return unary_float<Log2F>(a, out, "log2");
    case UnaryOp::Log10: return unary_float<Log10F>(a, out, "log10");
    case UnaryOp::Exp2: return unary_float<Exp2F>(a, out, "exp2");
    case UnaryOp::Gelu: return unary_float<GeluF>(a, out, "gelu");
    case UnaryOp::GeluDeriv: return unary_float<GeluDerivF>(a, out, "gelu");
    case UnaryOp::GeluTanh: return unary_float<GeluTanhF>(a, out, "gelu");
    case UnaryOp::GeluTanhDeriv: return unary_float<GeluTanhDerivF>(a, out, "gelu");
    case UnaryOp::Signbit:
      return dispatch_float(a.dtype(), "signbit", [&](auto tag) {
        using T = typename decltype(tag)::type;
        map_unary<T, bool>(a, out, [](T x) { return bool(std::signbit(x)); });
      });
    case UnaryOp::BitwiseNot:
      return dispatch_bits(a.dtype(), "bitwise_not", [&](auto tag) {
        using T = typename decltype(tag)::type;
        if constexpr (std::is_same_v<T, bool>) map_unary<T, T>(a, out, [](T x) { return !x; });
        else map_unary<T, T>(a, out, [](T x) { return T(~x); });
      });
    case UnaryOp::LogicalNot:
      return dispatch_all(a.dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        map_unary<T, bool>(a, out, [](T x) { return x == T(0); });
      });
    case UnaryOp::IsNan:
      return dispatch_all(a.dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        map_unary<T, bool>(a, out, [](T x) {
          if constexpr (std::is_floating_point_v<T>) return bool(std::isnan(x));
          else return false;
        });
      });
  }
}

void binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  if (is_comparison(op)) {
    dispatch_all(a.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      compare<T>(op, a, b, out);
    });
    return;
  }
  if (is_bitwise(op)) {
    dispatch_bits(a.dtype(), "bitwise", [&](auto tag) {
      using T = typename decltype(tag)::type;
      bitwise<T>(op, a, b, out);
    });
    return;
  }
  dispatch_numeric(a.dtype(), "binary", [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_floating_point_v<T>) {
      if (try_contiguous_arith<T>(op, a, b, out)) return;
    }
    arith<T>(op, a, b, out);
  });
}

void add_scaled(const Tensor& a, const Tensor& b, double alpha, const Tensor& out) {
  dispatch_numeric(out.dtype(), "add_", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T al = static_cast<T>(alpha);
    map_binary<T, T>(a, b, out, [al](T x, T y) { return T(x * al + y); });
  });
}

void clamp(const Tensor& a, double lo, double hi, const Tensor& out) {
  dispatch_numeric(a.dtype(), "clamp", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T l = static_cast<T>(std::max(lo, double(std::numeric_limits<T>::lowest())));
    const T h = static_cast<T>(std::min(hi, double(std::numeric_limits<T>::max())));
    map_unary<T, T>(a, out, [l, h](T x) {
      // selects, not branches (a third of random data clamped mispredicts them); NaN fails
      // both comparisons and passes through
      const T y = x < l ? l : x;
      return y > h ? h : y;
    });
  });
}

// c ? a : b by masking bits: the compiler turns a plain ?: on a loaded bool into a branch,
// which random conditions mispredict half the time; this vectorises.
template <class T>
T bit_select(bool c, T a, T b) {
  using U = std::conditional_t<sizeof(T) == 8, uint64_t,
                               std::conditional_t<sizeof(T) == 4, uint32_t, uint8_t>>;
  static_assert(sizeof(T) == sizeof(U));
  U ua, ub;
  std::memcpy(&ua, &a, sizeof(T));
  std::memcpy(&ub, &b, sizeof(T));
  const U mask = U(0) - U(c);
  const U r = (ua & mask) | (ub & ~mask);
  T out;
  std::memcpy(&out, &r, sizeof(T));
  return out;
}

void where(const Tensor& cond, const Tensor& a, const Tensor& b, const Tensor& out) {
  dispatch_all(out.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const bool* pc = cond.data<bool>();
    const T* pa = a.data<T>();
    const T* pb = b.data<T>();
    T* po = out.data<T>();
    Shape sc = broadcast_strides(cond, out.shape()), sa = broadcast_strides(a, out.shape()),
          sb = broadcast_strides(b, out.shape());
    strided_for<4>(out.shape(), {&out.strides(), &sc, &sa, &sb},
                   [&](int64_t n, const int64_t* off, const int64_t* st) {
                     if (st[0] == 1 && st[1] == 1 && st[2] == 1 && st[3] == 1) {  // vectorises
                       T* o = po + off[0];
                       const bool* c = pc + off[1];
                       const T *x = pa + off[2], *y = pb + off[3];
                       for (int64_t i = 0; i < n; ++i) o[i] = bit_select(c[i], x[i], y[i]);
                       return;
                     }
                     for (int64_t i = 0; i < n; ++i)
                       po[off[0] + i * st[0]] = pc[off[1] + i * st[1]] ? pa[off[2] + i * st[2]]
                                                                      : pb[off[3] + i * st[3]];
                   });
  });
}

namespace {

// A transposing copy into contiguous `out`: its last dim b runs along a large stride of src,
// whose stride-1 dim is another, a. Element by element, either the reads or the writes would
// touch a new cache line each; 16x16 tiles of (a, b), staged in a local buffer, read and
// write whole lines once each (rows a power of two apart would collide in the cache sets
// if a tile were read in place). The dims other than a and b are walked in row-major order.
// Returns false when the layout is not so.
bool copy_transposed(const Tensor& src, const Tensor& out) {
  const int64_t D = out.dim(), b = D - 1;
  if (D < 2 || src.dtype() != out.dtype() || src.shape() != out.shape() || !out.is_contiguous())
    return false;
  int64_t a = -1;
  for (int64_t d = 0; d < b; ++d)
    if (src.strides()[d] == 1 && src.shape()[d] > 1) a = d;
  const Shape& n = out.shape();
  if (a < 0 || src.strides()[b] == 1 || n[a] < 16 || n[b] < 16) return false;
  constexpr int64_t kTile = 16;
  const int64_t outer = out.numel() / (n[a] * n[b]);
  const int64_t tiles_a = (n[a] + kTile - 1) / kTile, tiles_b = (n[b] + kTile - 1) / kTile;
  const int64_t out_a = out.strides()[a], src_b = src.strides()[b];
  dispatch_all(out.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* ps = src.data<T>();
    T* po = out.data<T>();
    parallel_for(0, outer * tiles_a, std::max<int64_t>(1, 16384 / (kTile * n[b])),
                 [&](int64_t w0, int64_t w1) {
      for (int64_t w = w0; w < w1; ++w) {
        int64_t rest = w / tiles_a, s_off = 0, o_off = 0;  // the other dims' offsets
        for (int64_t d = D - 1; d >= 0; --d) {
          if (d == a || d == b) continue;
          s_off += rest % n[d] * src.strides()[d];
          o_off += rest % n[d] * out.strides()[d];
          rest /= n[d];
        }
        const int64_t a0 = w % tiles_a * kTile, a1 = std::min(n[a], a0 + kTile);
        T tile[kTile][kTile];  // [j][i]: each source line read once, whole
        for (int64_t tb = 0; tb < tiles_b; ++tb) {
          const int64_t b0 = tb * kTile, b1 = std::min(n[b], b0 + kTile);
          for (int64_t j = b0; j < b1; ++j) {
            const T* x = ps + s_off + j * src_b;
            for (int64_t i = a0; i < a1; ++i) tile[j - b0][i - a0] = x[i];
          }
          for (int64_t i = a0; i < a1; ++i) {
            T* o = po + o_off + i * out_a;
            for (int64_t j = b0; j < b1; ++j) o[j] = tile[j - b0][i - a0];
          }
        }
      }
    });
  });
  return true;
}

}  // namespace

void copy(const Tensor& src, const Tensor& out) {
  if (copy_transposed(src, out)) return;
  dispatch_all(src.dtype(), [&](auto in_tag) {
    using In = typename decltype(in_tag)::type;
    dispatch_all(out.dtype(), [&](auto out_tag) {
      using Out = typename decltype(out_tag)::type;
      const In* ps = src.data<In>();
      Out* po = out.data<Out>();
      Shape ss = broadcast_strides(src, out.shape());
      strided_for<2>(out.shape(), {&out.strides(), &ss},
                     [&](int64_t n, const int64_t* off, const int64_t* st) {
                       Out* o = po + off[0];
                       const In* x = ps + off[1];
                       if (st[0] == 1 && st[1] == 1) {
                         for (int64_t i = 0; i < n; ++i) o[i] = static_cast<Out>(x[i]);
                       } else {
                         for (int64_t i = 0; i < n; ++i) o[i * st[0]] = static_cast<Out>(x[i * st[1]]);
                       }
                     });
    });
  });
}

void fill(const Tensor& out, double value) {
  dispatch_all(out.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T v = static_cast<T>(value);
    T* po = out.data<T>();
    strided_for<1>(out.shape(), {&out.strides()},
                   [&](int64_t n, const int64_t* off, const int64_t* st) {
                     for (int64_t i = 0; i < n; ++i) po[off[0] + i * st[0]] = v;
                   });
  });
}

}  // namespace glia::cpu
