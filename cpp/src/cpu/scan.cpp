#include "cpu/scan.h"

#include <cmath>
#include <limits>
#include <type_traits>

#include "cpu/parallel.h"
#include "dispatch.h"

namespace glia::cpu {
namespace {

// Runs f(line_offset, stride) for every line along the scanned dim, lines split over threads.
template <class F>
void each_line(ReduceLayout L, const F& f) {
  const int64_t lines = L.outer * L.inner;
  parallel_for(0, lines, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, L.reduced)),
               [&](int64_t b, int64_t e) {
    for (int64_t line = b; line < e; ++line) {
      const int64_t o = line / L.inner, j = line % L.inner;
      f(o * L.reduced * L.inner + j, L.inner);
    }
  });
}

template <class T>
bool is_nan(T x) {
  if constexpr (std::is_floating_point_v<T>) return std::isnan(x);
  else return false;
}

template <class T>
T log_add_exp(T a, T b) {
  if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<T>::quiet_NaN();
  const T hi = a > b ? a : b, lo = a > b ? b : a;
  if (std::isinf(hi)) return hi;  // -inf + -inf stays -inf; +inf wins
  return hi + std::log1p(std::exp(lo - hi));
}

template <class T>
void scan_typed(ScanOp op, const T* p, T* q, int64_t* idx, ReduceLayout L) {
  each_line(L, [&](int64_t start, int64_t stride) {
    T acc = p[start];
    int64_t at = 0;
    for (int64_t r = 0; r < L.reduced; ++r) {
      const int64_t k = start + r * stride;
      const T x = p[k];
      if (r > 0) {
        switch (op) {
          case ScanOp::Sum: acc += x; break;
          case ScanOp::Prod: acc *= x; break;
          case ScanOp::Max:
            if (is_nan(x) || (!is_nan(acc) && x >= acc)) acc = x, at = r;
            break;
          case ScanOp::Min:
            if (is_nan(x) || (!is_nan(acc) && x <= acc)) acc = x, at = r;
            break;
          case ScanOp::LogSumExp:
            if constexpr (std::is_floating_point_v<T>) acc = log_add_exp(acc, x);
            break;
        }
      }
      q[k] = acc;
      if (idx) idx[k] = at;
    }
  });
}

}  // namespace

void scan(ScanOp op, const Tensor& in, ReduceLayout L, const Tensor& out, const Tensor& indices) {
  if (in.numel() == 0) return;
  int64_t* idx = indices.defined() ? indices.data<int64_t>() : nullptr;
  if (op == ScanOp::LogSumExp) {
    dispatch_float(in.dtype(), "logcumsumexp", [&](auto tag) {
      using T = typename decltype(tag)::type;
      scan_typed<T>(op, in.data<T>(), out.data<T>(), idx, L);
    });
    return;
  }
  dispatch_numeric(in.dtype(), "scan", [&](auto tag) {
    using T = typename decltype(tag)::type;
    scan_typed<T>(op, in.data<T>(), out.data<T>(), idx, L);
  });
}

// d out_j / d x_i = prod_{k<=j, k!=i} x_k for i <= j. Before the first zero z of a line that
// is out_j / x_i, so grad_i = sum_{j>=i} g_j out_j / x_i, a reversed running sum. At z it is
// sum_{j>=z} g_j prod_{k<z} x_k prod_{z<k<=j} x_k, and after z every term holds x_z = 0.
void cumprod_backward(const Tensor& x, const Tensor& out, const Tensor& grad, ReduceLayout L,
                      const Tensor& grad_in) {
  if (x.numel() == 0) return;
  dispatch_float(x.dtype(), "cumprod", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T *px = x.data<T>(), *po = out.data<T>(), *pg = grad.data<T>();
    T* q = grad_in.data<T>();
    const int64_t n = L.reduced;
    each_line(L, [&](int64_t start, int64_t s) {
      int64_t z = n;
      for (int64_t r = 0; r < n; ++r)
        if (px[start + r * s] == T(0)) { z = r; break; }
      T tail = 0;  // sum over j >= r of g_j out_j, for r < z
      for (int64_t r = z - 1; r >= 0; --r) {
        tail += pg[start + r * s] * po[start + r * s];
        q[start + r * s] = tail / px[start + r * s];
      }
      if (z == n) return;
      // at z: the product before z times the running product after it
      T before = z > 0 ? po[start + (z - 1) * s] : T(1), run = before, acc = pg[start + z * s] * before;
      for (int64_t j = z + 1; j < n; ++j) {
        run *= px[start + j * s];
        acc += pg[start + j * s] * run;
      }
      q[start + z * s] = acc;
      for (int64_t r = z + 1; r < n; ++r) q[start + r * s] = T(0);
    });
  });
}

}  // namespace glia::cpu
