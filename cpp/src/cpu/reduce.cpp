#include "cpu/reduce.h"

#include <Eigen/Core>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "cpu/exp.h"
#include "cpu/parallel.h"
#include "dispatch.h"

namespace glia::cpu {
namespace {

template <class T>
using Row = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;
template <class T>
using RowOut = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;

template <class T>
T combine(ReduceOp op, T acc, T x) {
  switch (op) {
    case ReduceOp::Sum: return acc + x;
    case ReduceOp::Prod: return acc * x;
    case ReduceOp::Max:
      if constexpr (std::is_floating_point_v<T>) {
        if (std::isnan(x) || std::isnan(acc)) return std::numeric_limits<T>::quiet_NaN();
      }
      return x > acc ? x : acc;
    case ReduceOp::Min:
      if constexpr (std::is_floating_point_v<T>) {
        if (std::isnan(x) || std::isnan(acc)) return std::numeric_limits<T>::quiet_NaN();
      }
      return x < acc ? x : acc;
    default: return acc;
  }
}

template <class T>
T identity(ReduceOp op) {
  switch (op) {
    case ReduceOp::Sum: return T(0);
    case ReduceOp::Prod: return T(1);
    case ReduceOp::Max:
      return std::is_floating_point_v<T> ? -std::numeric_limits<T>::infinity()
                                         : std::numeric_limits<T>::lowest();
    case ReduceOp::Min:
      return std::is_floating_point_v<T> ? std::numeric_limits<T>::infinity()
                                         : std::numeric_limits<T>::max();
    default: return T(0);
  }
}

// Float sums run through Eigen in blocks whose partial sums add up in double, so long
// rows keep their accuracy (a straight float running sum drifts by 1e-3 at 1M elements).
template <class T>
T sum_row(const T* p, int64_t n) {
  constexpr int64_t kBlock = 1024;
  double acc = 0;
  for (int64_t b = 0; b < n; b += kBlock) acc += Row<T>(p + b, std::min(kBlock, n - b)).sum();
  return T(acc);
}

template <class T>
T reduce_row(ReduceOp op, const T* p, int64_t n) {
  if constexpr (std::is_floating_point_v<T>) {
    if (op == ReduceOp::Sum) return sum_row(p, n);
  }
  T acc = identity<T>(op);
  for (int64_t i = 0; i < n; ++i) acc = combine(op, acc, p[i]);
  return acc;
}

template <class T>
void reduce_typed(ReduceOp op, const T* in, ReduceLayout L, T* out) {
  if (L.inner == 1) {
    parallel_for(0, L.outer, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(L.reduced, 1)),
                 [&](int64_t b, int64_t e) {
                   for (int64_t o = b; o < e; ++o) out[o] = reduce_row(op, in + o * L.reduced, L.reduced);
                 });
    return;
  }
  // Column layout: accumulate whole inner rows, which vectorises. Float sums accumulate
  // in double so that summing a million rows stays accurate.
  using Acc = std::conditional_t<std::is_same_v<T, float>, double, T>;
  auto run = [&](int64_t o, int64_t jb, int64_t je) {
    T* dst = out + o * L.inner;
    if (op == ReduceOp::Sum) {
      std::vector<Acc> acc(je - jb, Acc(0));
      for (int64_t r = 0; r < L.reduced; ++r) {
        const T* src = in + (o * L.reduced + r) * L.inner + jb;
        for (int64_t j = 0; j < je - jb; ++j) acc[j] += src[j];
      }
      for (int64_t j = jb; j < je; ++j) dst[j] = T(acc[j - jb]);
      return;
    }
    for (int64_t j = jb; j < je; ++j) dst[j] = identity<T>(op);
    for (int64_t r = 0; r < L.reduced; ++r) {
      const T* src = in + (o * L.reduced + r) * L.inner;
      for (int64_t j = jb; j < je; ++j) dst[j] = combine(op, dst[j], src[j]);
    }
  };
  int64_t work = L.outer * L.reduced * L.inner;
  if (L.outer >= 4 || work <= kParallelGrain) {
    parallel_for(0, L.outer, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, L.reduced * L.inner)),
                 [&](int64_t b, int64_t e) {
                   for (int64_t o = b; o < e; ++o) run(o, 0, L.inner);
                 });
  } else {
    for (int64_t o = 0; o < L.outer; ++o)
      parallel_for(0, L.inner, std::max<int64_t>(16, kParallelGrain / std::max<int64_t>(1, L.reduced)),
                   [&](int64_t b, int64_t e) { run(o, b, e); });
  }
}

template <class T>
void any_all_typed(bool is_any, const T* in, ReduceLayout L, bool* out) {
  for (int64_t o = 0; o < L.outer; ++o)
    for (int64_t j = 0; j < L.inner; ++j) {
      bool acc = !is_any;
      for (int64_t r = 0; r < L.reduced; ++r) {
        bool v = in[(o * L.reduced + r) * L.inner + j] != T(0);
        acc = is_any ? (acc || v) : (acc && v);
      }
      out[o * L.inner + j] = acc;
    }
}

}  // namespace

void reduce(ReduceOp op, const Tensor& in, ReduceLayout layout, const Tensor& out) {
  if (op == ReduceOp::Any || op == ReduceOp::All) {
    dispatch_all(in.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      any_all_typed(op == ReduceOp::Any, in.data<T>(), layout, out.data<bool>());
    });
    return;
  }
  dispatch_numeric(in.dtype(), "reduce", [&](auto tag) {
    using T = typename decltype(tag)::type;
    reduce_typed(op, in.data<T>(), layout, out.data<T>());
  });
}

void arg_reduce(bool is_max, const Tensor& in, ReduceLayout L, const Tensor& values,
                const Tensor& indices) {
  dispatch_numeric(in.dtype(), "max", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* p = in.data<T>();
    T* v = values.data<T>();
    int64_t* ix = indices.data<int64_t>();
    parallel_for(0, L.outer * L.inner, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(L.reduced, 1)),
                 [&](int64_t b, int64_t e) {
                   for (int64_t k = b; k < e; ++k) {
                     int64_t o = k / L.inner, j = k % L.inner;
                     const T* src = p + o * L.reduced * L.inner + j;
                     T best = src[0];
                     int64_t bi = 0;
                     for (int64_t r = 1; r < L.reduced; ++r) {
                       T x = src[r * L.inner];
                       bool better = is_max ? x > best : x < best;
                       if constexpr (std::is_floating_point_v<T>) {
                         if (std::isnan(best)) better = false;
                         else if (std::isnan(x)) better = true;
                       }
                       if (better) {
                         best = x;
                         bi = r;
                       }
                     }
                     v[k] = best;
                     ix[k] = bi;
                   }
                 });
  });
}

void softmax_rows(const Tensor& in, int64_t rows, int64_t n, bool log, const Tensor& out) {
  if (n == 0) return;
  dispatch_float(in.dtype(), log ? "log_softmax" : "softmax", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* p = in.data<T>();
    T* q = out.data<T>();
    parallel_for(0, rows, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(n, 1)),
                 [&](int64_t b, int64_t e) {
                   for (int64_t r = b; r < e; ++r) {
                     if (log) {
                       log_softmax_row(p + r * n, n, q + r * n);
                     } else {
                       Row<T> x(p + r * n, n);
                       RowOut<T> y(q + r * n, n);
                       T m = x.maxCoeff();
                       if (!std::isfinite(m)) m = 0;  // all -inf rows give nan, as in PyTorch
                       exp_exact(p + r * n, m, q + r * n, n);
                       y /= y.sum();
                     }
                   }
                 });
  });
}

}  // namespace glia::cpu
