#pragma once
// exp with exact underflow, and log-softmax of a row, for kernels built on Eigen's vectorised exp.
#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <type_traits>

namespace glia::cpu {

// y[i] = exp(x[i] - shift) for n contiguous values; y may be x. Eigen's vectorised exp
// clamps its input and never reaches 0 (exp(-inf) gives about 1e-38), so the few arguments
// below the clamp go through std::exp: masked -inf logits give exactly 0.
template <class T>
void exp_exact(const T* x, T shift, T* y, int64_t n) {
  const T low = std::is_same_v<T, float> ? T(-87) : T(-708);
  constexpr int64_t kChunk = 256;
  int64_t at[kChunk];
  T val[kChunk];
  for (int64_t b = 0; b < n; b += kChunk) {
    const int64_t e = std::min(n, b + kChunk);
    const auto xs = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>(x + b, e - b) - shift;
    auto ys = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>(y + b, e - b);
    if (xs.minCoeff() >= low) {  // the usual chunk: nothing underflows, one vectorised pass
      ys = xs.exp();
      continue;
    }
    int64_t count = 0;  // found before y (possibly x itself) is overwritten
    for (int64_t i = b; i < e; ++i)
      if (x[i] - shift < low) {
        at[count] = i;
        val[count++] = std::exp(x[i] - shift);
      }
    ys = xs.exp();
    for (int64_t c = 0; c < count; ++c) y[at[c]] = val[c];
  }
}

// y = x - logsumexp(x) for n contiguous values; y may be x. Rows whose maximum is not finite
// shift by 0 instead: an all -inf row gives NaN, as in PyTorch. Only summed, with the
// maximum's 1 in the sum, exp's error near underflow (see exp_exact) cannot show.
template <class T>
void log_softmax_row(const T* x, int64_t n, T* y) {
  const auto xs = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>(x, n);
  T m = xs.maxCoeff();
  if (!std::isfinite(m)) m = 0;
  const T lse = std::log((xs - m).exp().sum());
  Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>(y, n) = xs - m - lse;
}

}  // namespace glia::cpu

