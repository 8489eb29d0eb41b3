#include "cpu/ctc_loss.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "cpu/parallel.h"

namespace glia::cpu {
namespace {

template <class T>
constexpr T kNegInf = -std::numeric_limits<T>::infinity();

// log(e^a + e^b + e^c) without overflow; -inf when all are. One log for the three terms.
template <class T>
T log_sum(T a, T b, T c = kNegInf<T>) {
  const T m = std::max({a, b, c});
  if (m == kNegInf<T>) return m;
  return m + std::log(std::exp(a - m) + std::exp(b - m) + std::exp(c - m));
}

// Sample n's extended labels l': blank, l1, blank, l2, ..., blank (2L + 1 of them).
struct Extended {
  const int64_t* labels;
  int64_t L, blank;
  int64_t size() const { return 2 * L + 1; }
  int64_t operator[](int64_t s) const { return s % 2 == 0 ? blank : labels[s / 2]; }
  // whether a path may skip from s - 2 to s: s is a label, not a repeat of the one before
  bool skips_from_two_back(int64_t s) const {
    return s % 2 == 1 && s >= 2 && labels[s / 2] != labels[s / 2 - 1];
  }
};

Extended extended(const CtcBatch& b, int64_t n) {
  return {b.targets + b.offsets[n], b.target_lengths[n], b.blank};
}

// Runs fn(n) for every sample on the threads; each sample's work is T * (2L + 1).
template <class F>
void per_sample(const CtcBatch& b, const F& fn) {
  const int64_t work = std::max<int64_t>(1, b.T * (2 * b.max_target + 1));
  parallel_for(0, b.N, std::max<int64_t>(1, kParallelGrain / work), [&](int64_t n0, int64_t n1) {
    for (int64_t n = n0; n < n1; ++n) fn(n);
  });
}

}  // namespace

template <class T>
void ctc_loss_forward(const CtcBatch& b, const T* log_probs, T* alpha, T* loss) {
  const int64_t S = 2 * b.max_target + 1, NC = b.N * b.C;
  per_sample(b, [&](int64_t n) {
    const Extended l = extended(b, n);
    const int64_t frames = b.input_lengths[n], Sn = l.size();
    T* a = alpha + n * b.T * S;  // a[t * S + s]: log of the paths' mass ending at s at t
    std::fill(a, a + b.T * S, kNegInf<T>);
    if (frames == 0) {  // no frames: only the empty label sequence has an alignment
      loss[n] = l.L == 0 ? T(0) : std::numeric_limits<T>::infinity();
      return;
    }
    const T* lp = log_probs + n * b.C;  // frame t's row is lp + t * NC
    a[0] = lp[b.blank];
    if (Sn > 1) a[1] = lp[l[1]];
    for (int64_t t = 1; t < frames; ++t) {
      const T* prev = a + (t - 1) * S;
      T* cur = a + t * S;
      const T* row = lp + t * NC;
      for (int64_t s = 0; s < Sn; ++s) {
        const T sum = log_sum(prev[s], s >= 1 ? prev[s - 1] : kNegInf<T>,
                              l.skips_from_two_back(s) ? prev[s - 2] : kNegInf<T>);
        cur[s] = sum == kNegInf<T> ? sum : sum + row[l[s]];
      }
    }
    const T* last = a + (frames - 1) * S;
    loss[n] = -(Sn > 1 ? log_sum(last[Sn - 1], last[Sn - 2]) : last[0]);
  });
}

template <class T>
void ctc_loss_backward(const CtcBatch& b, const T* log_probs, const T* alpha, const T* loss,
                       const T* scale, T* grad) {
  const int64_t S = 2 * b.max_target + 1, NC = b.N * b.C;
  per_sample(b, [&](int64_t n) {
    const Extended l = extended(b, n);
    const int64_t frames = b.input_lengths[n], Sn = l.size();
    for (int64_t t = 0; t < b.T; ++t)
      std::fill(grad + t * NC + n * b.C, grad + t * NC + (n + 1) * b.C, T(0));
    if (frames == 0 || scale[n] == T(0)) return;
    const T* a = alpha + n * b.T * S;
    const T* lp = log_probs + n * b.C;
    // beta of frame t + 1 and of frame t: the paths' mass from s at t to the end
    std::vector<T> next(static_cast<size_t>(Sn), kNegInf<T>), cur(static_cast<size_t>(Sn));
    // per class c: the largest log alpha * beta over the s with l'_s = c, and their sum
    // relative to it (exact for every class, however small its share of the frame)
    std::vector<T> top(static_cast<size_t>(b.C)), occupancy(static_cast<size_t>(b.C));
    const T nll = loss[n];
    for (int64_t t = frames - 1; t >= 0; --t) {
      const T* row = lp + t * NC;
      const T* at = a + t * S;
      std::fill(top.begin(), top.end(), kNegInf<T>);
      for (int64_t s = 0; s < Sn; ++s) {
        T sum;
        if (t == frames - 1)
          sum = s >= Sn - 2 ? T(0) : kNegInf<T>;
        else
          sum = log_sum(next[s], s + 1 < Sn ? next[s + 1] : kNegInf<T>,
                        s + 2 < Sn && l.skips_from_two_back(s + 2) ? next[s + 2] : kNegInf<T>);
        cur[s] = sum == kNegInf<T> ? sum : sum + row[l[s]];
        top[l[s]] = std::max(top[l[s]], at[s] + cur[s]);
      }
      std::fill(occupancy.begin(), occupancy.end(), T(0));
      for (int64_t s = 0; s < Sn; ++s)
        if (top[l[s]] != kNegInf<T>) occupancy[l[s]] += std::exp(at[s] + cur[s] - top[l[s]]);
      // d loss / d lp[t, c] = -sum_s alpha beta / (p(labels) y_t(c)); alpha and beta both hold
      // y_t(c), so one comes off in the exponent. Without an alignment (nll = inf) it is NaN.
      T* g = grad + t * NC + n * b.C;
      for (int64_t c = 0; c < b.C; ++c)
        if (top[c] != kNegInf<T> || std::isinf(nll))
          g[c] = -scale[n] * occupancy[c] * std::exp(top[c] + nll - row[c]);
      std::swap(next, cur);
    }
  });
}

template void ctc_loss_forward<float>(const CtcBatch&, const float*, float*, float*);
template void ctc_loss_forward<double>(const CtcBatch&, const double*, double*, double*);
template void ctc_loss_backward<float>(const CtcBatch&, const float*, const float*, const float*,
                                       const float*, float*);
template void ctc_loss_backward<double>(const CtcBatch&, const double*, const double*,
                                        const double*, const double*, double*);

}  // namespace glia::cpu
