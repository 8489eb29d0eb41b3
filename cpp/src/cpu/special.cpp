#include "cpu/special.h"

#include <cmath>
#include <limits>

#include "cpu/parallel.h"
#include "dispatch.h"

namespace glia::cpu {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// Hurwitz zeta(s, q) = sum_k (q + k)^-s for s > 1, by Euler-Maclaurin summation (as
// Cephes and PyTorch): direct terms until q + k > 9, then the tail with Bernoulli terms.
double hurwitz_zeta(double s, double q) {
  static const double A[] = {12.0, -720.0, 30240.0, -1209600.0, 47900160.0,
                             -1.8924375803183791606e9, 7.47242496e10,
                             -2.950130727918164224e12, 1.1646782814350067249e14,
                             -4.5979787224074726105e15, 1.8152105401943546773e17,
                             -7.1661652561756670113e18};
  const double eps = std::numeric_limits<double>::epsilon();
  if (q <= 0) {
    if (q == std::floor(q)) return kInf;  // a pole
    if (s != std::floor(s)) return kNaN;  // q^-s undefined
  }
  double sum = std::pow(q, -s), a = q, b = 0;
  int i = 0;
  while (i < 9 || a <= 9.0) {
    ++i;
    a += 1.0;
    b = std::pow(a, -s);
    sum += b;
    if (std::fabs(b / sum) < eps) return sum;
  }
  const double w = a;
  sum += b * w / (s - 1);
  sum -= 0.5 * b;
  double fac = 1.0, k = 0.0;
  for (double coef : A) {
    fac *= s + k;
    b /= w;
    const double t = fac * b / coef;
    sum += t;
    if (std::fabs(t / sum) < eps) break;
    k += 1.0;
    fac *= s + k;
    b /= w;
    k += 1.0;
  }
  return sum;
}

template <class T>
T apply(SpecialFn fn, int64_t n, T x) {
  switch (fn) {
    case SpecialFn::Lgamma: return T(std::lgamma(double(x)));
    case SpecialFn::Digamma: return T(digamma(double(x)));
    case SpecialFn::Polygamma: return T(n == 0 ? digamma(double(x)) : polygamma(n, double(x)));
    case SpecialFn::Erfinv: return T(erfinv(double(x)));
  }
  return x;
}

}  // namespace

double digamma(double x) {
  if (std::isnan(x) || x == kInf) return x;
  if (x == 0) return std::signbit(x) ? kInf : -kInf;  // as PyTorch: -inf at +0
  if (x < 0) {
    if (x == std::floor(x)) return kNaN;  // poles at the negative integers
    // reflection: psi(x) = psi(1 - x) - pi / tan(pi x)
    return digamma(1 - x) - kPi / std::tan(kPi * x);
  }
  double result = 0;
  while (x < 10) {  // psi(x) = psi(x + 1) - 1/x up to where the series is accurate
    result -= 1 / x;
    x += 1;
  }
  // the asymptotic series sum_k B_2k / (2k x^2k), to x^-14 (Cephes' coefficients)
  const double y = 1 / (x * x);
  const double tail =
      y * (1.0 / 12 -
           y * (1.0 / 120 -
                y * (1.0 / 252 - y * (1.0 / 240 - y * (1.0 / 132 - y * (691.0 / 32760 - y / 12))))));
  return result + std::log(x) - 0.5 / x - tail;
}

double polygamma(int64_t n, double x) {
  if (x == kInf) return 0.0;
  if (n == 1 && x < 0 && x != std::floor(x)) {
    // reflection, so the series below never walks up from far below zero:
    // psi1(x) = pi^2 / sin^2(pi x) - psi1(1 - x)
    const double s = std::sin(kPi * x);
    return kPi * kPi / (s * s) - polygamma(1, 1 - x);
  }
  // psi^(n)(x) = (-1)^(n+1) n! zeta(n + 1, x)
  const double sign = n % 2 ? 1.0 : -1.0;
  return sign * std::exp(std::lgamma(double(n) + 1)) * hurwitz_zeta(double(n) + 1, x);
}

double erfinv(double y) {
  if (std::isnan(y) || y < -1 || y > 1) return kNaN;
  if (y == 1) return kInf;
  if (y == -1) return -kInf;
  if (y == 0) return y;
  // Winitzki's approximation (relative error ~2e-3), then Newton steps on erf (or on
  // erfc in the tails, where 1 - |y| is exact and erf has no digits left)
  const double a = 0.147, ln = std::log1p(-y * y);
  const double t = 2 / (kPi * a) + ln / 2;
  double x = std::copysign(std::sqrt(std::sqrt(t * t - ln / a) - t), y);
  const double c = 2 / std::sqrt(kPi);
  const double tail = 1 - std::fabs(y);
  for (int i = 0; i < 4; ++i) {
    const double slope = c * std::exp(-x * x);
    if (slope == 0) break;
    // erf(x) - y; in the tails as (1 - y) - erfc(x) with the sign of y, from exact parts
    const double err = std::fabs(y) > 0.5 ? (y > 0 ? 1 : -1) * (tail - std::erfc(std::fabs(x)))
                                          : std::erf(x) - y;
    const double step = err / slope;
    x -= step;
    if (std::fabs(step) <= 1e-17 * std::fabs(x)) break;
  }
  return x;
}

void special(SpecialFn fn, int64_t n, const Tensor& in, const Tensor& out) {
  dispatch_float(in.dtype(), "special", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* p = in.data<T>();
    T* q = out.data<T>();
    // these cost hundreds of flops each: split over threads from a few thousand elements
    parallel_for(0, in.numel(), 2048, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) q[i] = apply<T>(fn, n, p[i]);
    });
  });
}

}  // namespace glia::cpu
