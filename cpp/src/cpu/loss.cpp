#include "cpu/loss.h"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <vector>

#include "cpu/exp.h"
#include "cpu/parallel.h"

namespace glia::cpu {

namespace {

template <class T>
using CArr = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;
template <class T>
using Arr = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;

template <class F>
void rows(int64_t R, int64_t C, const F& f) {
  parallel_for(0, R, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(C, 1)),
               [&](int64_t b, int64_t e) {
                 for (int64_t r = b; r < e; ++r) f(r);
               });
}

}  // namespace

template <class T>
void cross_entropy_index_forward(const T* logits, const int64_t* target, const T* weight,
                                 int64_t R, int64_t C, int64_t ignore_index, double eps,
                                 T* logp, T* row_loss, T* row_weight) {
  rows(R, C, [&](int64_t r) {
    T* lp = logp + r * C;
    log_softmax_row(logits + r * C, C, lp);
    const int64_t t = target[r];
    if (t == ignore_index) {
      row_loss[r] = 0;
      row_weight[r] = 0;
      return;
    }
    const T wt = weight ? weight[t] : T(1);
    double smooth = 0;
    if (eps > 0)
      for (int64_t c = 0; c < C; ++c) smooth -= (weight ? weight[c] : T(1)) * lp[c];
    row_loss[r] = T((1 - eps) * -(wt * lp[t]) + eps / C * smooth);
    row_weight[r] = wt;
  });
}

template <class T>
void cross_entropy_index_backward(const T* logp, const int64_t* target, const T* weight,
                                  int64_t R, int64_t C, int64_t ignore_index, double eps,
                                  const T* scale, T* grad) {
  T wsum = 0;
  for (int64_t c = 0; c < C; ++c) wsum += weight ? weight[c] : T(1);
  rows(R, C, [&](int64_t r) {
    T* g = grad + r * C;
    const T* lp = logp + r * C;
    const int64_t t = target[r];
    if (t == ignore_index) {
      for (int64_t c = 0; c < C; ++c) g[c] = 0;
      return;
    }
    const T wt = weight ? weight[t] : T(1);
    const T a = T(1 - eps) * wt * scale[r], b = T(eps / C) * scale[r];
    Arr<T> out(g, C);
    out = CArr<T>(lp, C).exp();  // the probabilities
    if (weight)
      out = a * out + b * (out * wsum - CArr<T>(weight, C));
    else
      out = (a + b * wsum) * out - b;
    g[t] -= a;
  });
}

template <class T>
void cross_entropy_prob_forward(const T* logits, const T* target, const T* weight, int64_t R,
                                int64_t C, double eps, T* logp, T* row_loss) {
  rows(R, C, [&](int64_t r) {
    T* lp = logp + r * C;
    log_softmax_row(logits + r * C, C, lp);
    double loss = 0;
    for (int64_t c = 0; c < C; ++c) {
      const double y = target[r * C + c] * (1 - eps) + eps / C;
      loss -= (weight ? weight[c] : T(1)) * y * lp[c];
    }
    row_loss[r] = T(loss);
  });
}

template <class T>
void cross_entropy_prob_backward(const T* logp, const T* target, const T* weight, int64_t R,
                                 int64_t C, double eps, const T* scale, T* grad) {
  rows(R, C, [&](int64_t r) {
    const T* lp = logp + r * C;
    T wy = 0;
    for (int64_t c = 0; c < C; ++c)
      wy += (weight ? weight[c] : T(1)) * T(target[r * C + c] * (1 - eps) + eps / C);
    for (int64_t c = 0; c < C; ++c) {
      const T y = T(target[r * C + c] * (1 - eps) + eps / C);
      grad[r * C + c] = scale[r] * (std::exp(lp[c]) * wy - (weight ? weight[c] : T(1)) * y);
    }
  });
}

template <class T>
double squared_error_sum(const T* x, const T* t, int64_t n) {
  using Map = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;
  constexpr int64_t kChunk = 16384;
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  std::vector<double> part(static_cast<size_t>(chunks));
  parallel_for(0, chunks, 4, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const int64_t b = c * kChunk, len = std::min(kChunk, n - b);
      part[size_t(c)] = double((Map(x + b, len) - Map(t + b, len)).square().sum());
    }
  });
  double total = 0;
  for (double p : part) total += p;
  return total;
}

#define GLIA_LOSS_INSTANTIATE(T)                                                               \
  template void cross_entropy_index_forward<T>(const T*, const int64_t*, const T*, int64_t,    \
                                               int64_t, int64_t, double, T*, T*, T*);          \
  template void cross_entropy_index_backward<T>(const T*, const int64_t*, const T*, int64_t,   \
                                                int64_t, int64_t, double, const T*, T*);       \
  template void cross_entropy_prob_forward<T>(const T*, const T*, const T*, int64_t, int64_t,  \
                                              double, T*, T*);                                 \
  template void cross_entropy_prob_backward<T>(const T*, const T*, const T*, int64_t, int64_t, \
                                               double, const T*, T*);          \
  template double squared_error_sum<T>(const T*, const T*, int64_t);
GLIA_LOSS_INSTANTIATE(float)
GLIA_LOSS_INSTANTIATE(double)
#undef GLIA_LOSS_INSTANTIATE

}  // namespace glia::cpu
