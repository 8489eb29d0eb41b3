#include "cpu/norm.h"

#include <Eigen/Core>
#include <cmath>
#include <vector>

#include "cpu/parallel.h"

namespace glia::cpu {

namespace {
template <class T>
using CRowArr = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;
template <class T>
using RowArr = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;
}  // namespace

template <class T>
void batch_norm_forward(const T* x, int64_t N, int64_t C, int64_t S, const T* weight,
                        const T* bias, T* mean, T* invstd, bool batch_stats, double eps,
                        T* var_out, T* y) {
  const int64_t M = N * S;
  parallel_for(0, C, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(M, 1)), [&](int64_t cb, int64_t ce) {
    for (int64_t c = cb; c < ce; ++c) {
      if (batch_stats) {
        double sum = 0, sq = 0;
        for (int64_t n = 0; n < N; ++n) {
          const T* p = x + (n * C + c) * S;
          for (int64_t s = 0; s < S; ++s) sum += p[s];
        }
        double mu = M ? sum / M : 0.0;
        for (int64_t n = 0; n < N; ++n) {
          const T* p = x + (n * C + c) * S;
          for (int64_t s = 0; s < S; ++s) sq += (p[s] - mu) * (p[s] - mu);
        }
        double var = M ? sq / M : 0.0;
        mean[c] = T(mu);
        var_out[c] = T(var);
        invstd[c] = T(1.0 / std::sqrt(var + eps));
      }
      const T a = (weight ? weight[c] : T(1)) * invstd[c];
      const T b = (bias ? bias[c] : T(0)) - mean[c] * a;
      for (int64_t n = 0; n < N; ++n) {
        const T* p = x + (n * C + c) * S;
        T* q = y + (n * C + c) * S;
        for (int64_t s = 0; s < S; ++s) q[s] = p[s] * a + b;
      }
    }
  });
}

template <class T>
void batch_norm_backward(const T* g, const T* x, int64_t N, int64_t C, int64_t S, const T* weight,
                         const T* mean, const T* invstd, bool batch_stats, T* gx, T* gw, T* gb) {
  const int64_t M = N * S;
  parallel_for(0, C, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(M, 1)), [&](int64_t cb, int64_t ce) {
    for (int64_t c = cb; c < ce; ++c) {
      double sum_g = 0, sum_gx = 0;  // sum g and sum g * xhat
      for (int64_t n = 0; n < N; ++n) {
        const T* gp = g + (n * C + c) * S;
        const T* xp = x + (n * C + c) * S;
        for (int64_t s = 0; s < S; ++s) {
          sum_g += gp[s];
          sum_gx += gp[s] * (xp[s] - mean[c]);
        }
      }
      sum_gx *= invstd[c];
      if (gw) gw[c] = T(sum_gx);
      if (gb) gb[c] = T(sum_g);
      if (!gx) continue;
      const T w = weight ? weight[c] : T(1);
      const T k = w * invstd[c];
      for (int64_t n = 0; n < N; ++n) {
        const T* gp = g + (n * C + c) * S;
        const T* xp = x + (n * C + c) * S;
        T* o = gx + (n * C + c) * S;
        if (batch_stats) {
          const T mg = T(sum_g / M), mgx = T(sum_gx / M);
          for (int64_t s = 0; s < S; ++s) {
            T xhat = (xp[s] - mean[c]) * invstd[c];
            o[s] = k * (gp[s] - mg - xhat * mgx);
          }
        } else {
          for (int64_t s = 0; s < S; ++s) o[s] = k * gp[s];
        }
      }
    }
  });
}

template <class T>
void layer_norm_forward(const T* x, int64_t rows, int64_t D, const T* weight, const T* bias,
                        double eps, T* mean, T* rstd, T* y) {
  parallel_for(0, rows, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(D, 1)), [&](int64_t rb, int64_t re) {
    for (int64_t r = rb; r < re; ++r) {
      // Eigen's sums run in several vector accumulators: vectorised, and more accurate than
      // one running sum
      const CRowArr<T> p(x + r * D, D);
      const T mu = D ? p.sum() / T(D) : T(0);
      const T rs = T(1) / std::sqrt((D ? (p - mu).square().sum() / T(D) : T(0)) + T(eps));
      mean[r] = mu;
      rstd[r] = rs;
      RowArr<T> q(y + r * D, D);
      if (weight)
        q = (p - mu) * rs * CRowArr<T>(weight, D);
      else
        q = (p - mu) * rs;
      if (bias) q += CRowArr<T>(bias, D);
    }
  });
}

template <class T>
void layer_norm_backward(const T* g, const T* x, int64_t rows, int64_t D, const T* weight,
                         const T* mean, const T* rstd, T* gx, T* gw, T* gb) {
  if (gx) {
    parallel_for(0, rows, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(D, 1)), [&](int64_t rb, int64_t re) {
      for (int64_t r = rb; r < re; ++r) {
        const CRowArr<T> gp(g + r * D, D), xp(x + r * D, D);
        const T mu = mean[r], rs = rstd[r];
        RowArr<T> o(gx + r * D, D);
        if (weight)  // g * w, then the gradient in place
          o = gp * CRowArr<T>(weight, D);
        else
          o = gp;
        const T a = D ? o.sum() / T(D) : T(0);
        const T b = D ? (o * (xp - mu)).sum() * rs / T(D) : T(0);
        o = rs * (o - a - (xp - mu) * rs * b);
      }
    });
  }
  if (gw || gb) {
    // column sums over rows; threads split the columns
    parallel_for(0, D, std::max<int64_t>(16, kParallelGrain / std::max<int64_t>(rows, 1)), [&](int64_t db, int64_t de) {
      std::vector<double> sw(de - db, 0.0), sb(de - db, 0.0);
      for (int64_t r = 0; r < rows; ++r) {
        const T* gp = g + r * D;
        const T* xp = x + r * D;
        for (int64_t i = db; i < de; ++i) {
          sw[i - db] += gp[i] * (xp[i] - mean[r]) * rstd[r];
          sb[i - db] += gp[i];
        }
      }
      for (int64_t i = db; i < de; ++i) {
        if (gw) gw[i] = T(sw[i - db]);
        if (gb) gb[i] = T(sb[i - db]);
      }
    });
  }
}

#define GLIA_NORM_INSTANTIATE(T)                                                               \
  template void batch_norm_forward<T>(const T*, int64_t, int64_t, int64_t, const T*, const T*, \
                                      T*, T*, bool, double, T*, T*);                           \
  template void batch_norm_backward<T>(const T*, const T*, int64_t, int64_t, int64_t,          \
                                       const T*, const T*, const T*, bool, T*, T*, T*);        \
  template void layer_norm_forward<T>(const T*, int64_t, int64_t, const T*, const T*, double,  \
                                      T*, T*, T*);                                             \
  template void layer_norm_backward<T>(const T*, const T*, int64_t, int64_t, const T*,         \
                                       const T*, const T*, T*, T*, T*);
GLIA_NORM_INSTANTIATE(float)
GLIA_NORM_INSTANTIATE(double)
#undef GLIA_NORM_INSTANTIATE

}  // namespace glia::cpu
