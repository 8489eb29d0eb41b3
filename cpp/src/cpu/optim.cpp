#include "cpu/optim.h"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "cpu/parallel.h"

namespace glia::cpu {

// Each update touches every element once; threads split large parameters.
template <class F>
static void each(int64_t n, const F& f) {
  parallel_for(0, n, kParallelGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) f(i);
  });
}

template <class T>
void sgd_update(T* p, const T* g, T* buf, int64_t n, const optim::SGDOptions& o, bool first) {
  const T lr = T(o.lr), wd = T(o.weight_decay), mom = T(o.momentum), damp = T(1 - o.dampening);
  const T sign = o.maximize ? T(-1) : T(1);
  each(n, [&](int64_t i) {
    T d = sign * g[i] + wd * p[i];
    if (buf) {
      buf[i] = first ? d : mom * buf[i] + damp * d;
      d = o.nesterov ? d + mom * buf[i] : buf[i];
    }
    p[i] -= lr * d;
  });
}

template <class T>
void adam_update(T* p, const T* g, T* m, T* v, T* vmax, int64_t n, const optim::AdamOptions& o,
                 int64_t step) {
  using A = Eigen::Array<T, Eigen::Dynamic, 1>;
  const T b1 = T(o.beta1), b2 = T(o.beta2), eps = T(o.eps);
  const T bc1 = T(1 - std::pow(o.beta1, double(step)));
  const T inv_bc2_sqrt = T(1 / std::sqrt(1 - std::pow(o.beta2, double(step))));
  const T step_size = T(o.lr) / bc1;
  const T decay = T(1 - o.lr * o.weight_decay);
  const T sign = o.maximize ? T(-1) : T(1);
  const T l2 = o.decoupled_weight_decay ? T(0) : T(o.weight_decay);
  // Whole-array Eigen expressions per chunk, so the loop vectorises (sqrt and divide too).
  parallel_for(0, n, kParallelGrain, [&](int64_t b, int64_t e) {
    const int64_t len = e - b;
    Eigen::Map<A> P(p + b, len), M(m + b, len), V(v + b, len);
    Eigen::Map<const A> G(g + b, len);
    if (o.decoupled_weight_decay && o.weight_decay != 0) P *= decay;
    const auto gi = sign * G + l2 * P;  // lazy: evaluated in the two lines below, before P changes
    M = b1 * M + (1 - b1) * gi;
    V = b2 * V + (1 - b2) * gi.square();
    if (vmax) {
      Eigen::Map<A> VM(vmax + b, len);
      VM = VM.max(V);
      P -= step_size * M / (VM.sqrt() * inv_bc2_sqrt + eps);
    } else {
      P -= step_size * M / (V.sqrt() * inv_bc2_sqrt + eps);
    }
  });
}

template <class T>
void adagrad_update(T* p, const T* g, T* sum, int64_t n, const optim::AdagradOptions& o,
                    int64_t step) {
  const T clr = T(o.lr / (1 + double(step - 1) * o.lr_decay));
  const T wd = T(o.weight_decay), eps = T(o.eps), sign = o.maximize ? T(-1) : T(1);
  each(n, [&](int64_t i) {
    T gi = sign * g[i] + wd * p[i];
    sum[i] += gi * gi;
    p[i] -= clr * gi / (std::sqrt(sum[i]) + eps);
  });
}

template <class T>
void rmsprop_update(T* p, const T* g, T* sq, T* gavg, T* buf, int64_t n,
                    const optim::RMSpropOptions& o) {
  const T a = T(o.alpha), eps = T(o.eps), wd = T(o.weight_decay), lr = T(o.lr),
          mom = T(o.momentum), sign = o.maximize ? T(-1) : T(1);
  each(n, [&](int64_t i) {
    T gi = sign * g[i] + wd * p[i];
    sq[i] = a * sq[i] + (1 - a) * gi * gi;
    T avg;
    if (gavg) {
      gavg[i] = a * gavg[i] + (1 - a) * gi;
      avg = std::sqrt(sq[i] - gavg[i] * gavg[i]) + eps;
    } else {
      avg = std::sqrt(sq[i]) + eps;
    }
    if (buf) {
      buf[i] = mom * buf[i] + gi / avg;
      p[i] -= lr * buf[i];
    } else {
      p[i] -= lr * gi / avg;
    }
  });
}

template <class T>
void adadelta_update(T* p, const T* g, T* sq, T* acc, int64_t n, const optim::AdadeltaOptions& o) {
  const T rho = T(o.rho), eps = T(o.eps), wd = T(o.weight_decay), lr = T(o.lr),
          sign = o.maximize ? T(-1) : T(1);
  each(n, [&](int64_t i) {
    T gi = sign * g[i] + wd * p[i];
    sq[i] = rho * sq[i] + (1 - rho) * gi * gi;
    T delta = std::sqrt(acc[i] + eps) / std::sqrt(sq[i] + eps) * gi;
    acc[i] = rho * acc[i] + (1 - rho) * delta * delta;
    p[i] -= lr * delta;
  });
}

template <class T>
void nadam_update(T* p, const T* g, T* m, T* v, int64_t n, const optim::NAdamOptions& o,
                  int64_t step, double mu, double mu_next, double mu_product) {
  const T b1 = T(o.beta1), b2 = T(o.beta2), eps = T(o.eps), wd = T(o.weight_decay);
  const T bc2 = T(1 - std::pow(o.beta2, double(step)));
  const T c_grad = T(o.lr * (1 - mu) / (1 - mu_product));
  const T c_avg = T(o.lr * mu_next / (1 - mu_product * mu_next));
  const T sign = o.maximize ? T(-1) : T(1);
  each(n, [&](int64_t i) {
    T gi = sign * g[i] + wd * p[i];
    m[i] = b1 * m[i] + (1 - b1) * gi;
    v[i] = b2 * v[i] + (1 - b2) * gi * gi;
    T denom = std::sqrt(v[i] / bc2) + eps;
    p[i] -= c_grad * gi / denom + c_avg * m[i] / denom;
  });
}

template <class T>
void adamax_update(T* p, const T* g, T* m, T* u, int64_t n, const optim::AdamaxOptions& o,
                   int64_t step) {
  const T b1 = T(o.beta1), b2 = T(o.beta2), eps = T(o.eps), wd = T(o.weight_decay);
  const T clr = T(o.lr / (1 - std::pow(o.beta1, double(step))));
  const T sign = o.maximize ? T(-1) : T(1);
  each(n, [&](int64_t i) {
    T gi = sign * g[i] + wd * p[i];
    m[i] += (1 - b1) * (gi - m[i]);
    u[i] = std::max(b2 * u[i], std::abs(gi) + eps);
    p[i] -= clr * m[i] / u[i];
  });
}

template <class T>
void radam_update(T* p, const T* g, T* m, T* v, int64_t n, const optim::RAdamOptions& o,
                  int64_t step) {
  const double t = double(step), bc1 = 1 - std::pow(o.beta1, t), bc2 = 1 - std::pow(o.beta2, t);
  // rho: the length of the approximated simple moving average of the squared gradients
  const double rho_inf = 2 / (1 - o.beta2) - 1;
  const double rho_t = rho_inf - 2 * t * std::pow(o.beta2, t) / bc2;
  const bool adaptive = rho_t > 5.0;
  const double rect = adaptive ? std::sqrt((rho_t - 4) * (rho_t - 2) * rho_inf /
                                           ((rho_inf - 4) * (rho_inf - 2) * rho_t))
                               : 0.0;
  const T b1 = T(o.beta1), b2 = T(o.beta2), eps = T(o.eps);
  const T step_size = T(o.lr / bc1), scale = T(rect * std::sqrt(bc2));
  const T l2 = o.decoupled_weight_decay ? T(0) : T(o.weight_decay);
  const T decay = T(1 - o.lr * o.weight_decay);
  const bool decoupled = o.decoupled_weight_decay && o.weight_decay != 0;
  const T sign = o.maximize ? T(-1) : T(1);
  each(n, [&](int64_t i) {
    if (decoupled) p[i] *= decay;
    T gi = sign * g[i] + l2 * p[i];
    m[i] += (1 - b1) * (gi - m[i]);
    v[i] = b2 * v[i] + (1 - b2) * gi * gi;
    T d = step_size * m[i];
    p[i] -= adaptive ? d * scale / (std::sqrt(v[i]) + eps) : d;
  });
}

template <class T>
void asgd_update(T* p, const T* g, T* ax, int64_t n, const optim::ASGDOptions& o, double eta,
                 double mu) {
  const T decay = T(1 - o.lambd * eta), step = T(eta), wd = T(o.weight_decay), m = T(mu);
  const T sign = o.maximize ? T(-1) : T(1);
  each(n, [&](int64_t i) {
    const T gi = sign * g[i] + wd * p[i];
    p[i] = p[i] * decay - step * gi;
    ax[i] = mu != 1 ? ax[i] + (p[i] - ax[i]) * m : p[i];
  });
}

namespace {

// torch's lerp: start + w (end - start), or from the end for w >= 0.5 (exact at w = 1)
template <class T>
T lerp(T start, T end, T w) {
  return w < T(0.5) ? start + w * (end - start) : end - (end - start) * (T(1) - w);
}

}  // namespace

template <class T>
void adafactor_update(T* p, const T* g, T* row_var, T* col_var, T* variance, int64_t batches,
                      int64_t rows, int64_t cols, const optim::AdafactorOptions& o, int64_t step) {
  const int64_t n = batches * rows * cols;
  const double t = double(step);
  const T w = T(std::pow(t, o.beta2_decay));  // 1 - beta2_t
  const T eps1 = T(o.eps1 < 0 ? std::numeric_limits<T>::epsilon() : o.eps1);
  const T sign = o.maximize ? T(-1) : T(1);
  // the step size: relative to the parameter's RMS (read before the weight decay)
  double sq = 0;
  for (int64_t i = 0; i < n; ++i) sq += double(p[i]) * double(p[i]);
  const double rho = std::min(o.lr, 1 / std::sqrt(t));
  const double alpha = std::max(o.eps2, std::sqrt(sq) / std::sqrt(double(n))) * rho;
  if (o.weight_decay != 0) {
    const T decay = T(1 - o.lr * o.weight_decay);
    for (int64_t i = 0; i < n; ++i) p[i] *= decay;
  }
  std::vector<T> update(static_cast<size_t>(n));
  if (variance) {
    for (int64_t i = 0; i < n; ++i) {
      const T gi = sign * g[i];
      variance[i] = lerp(variance[i], gi * gi, w);
      update[i] = gi / std::sqrt(std::max(variance[i], eps1 * eps1));
    }
  } else {
    for (int64_t b = 0; b < batches; ++b) {
      const T* gb = g + b * rows * cols;
      T *rv = row_var + b * rows, *cv = col_var + b * cols;
      for (int64_t r = 0; r < rows; ++r) {
        T s = 0;
        for (int64_t c = 0; c < cols; ++c) s += gb[r * cols + c] * gb[r * cols + c];
        rv[r] = lerp(rv[r], s / T(cols), w);
      }
      for (int64_t c = 0; c < cols; ++c) {
        T s = 0;
        for (int64_t r = 0; r < rows; ++r) s += gb[r * cols + c] * gb[r * cols + c];
        cv[c] = lerp(cv[c], s / T(rows), w);
      }
      T mean = 0;
      for (int64_t r = 0; r < rows; ++r) mean += rv[r];
      mean = std::max(mean / T(rows), eps1);
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c) {
          const T est = std::max(rv[r] * cv[c] / mean, eps1 * eps1);
          update[b * rows * cols + r * cols + c] = sign * gb[r * cols + c] / std::sqrt(est);
        }
    }
  }
  // clip the update's RMS at d
  double usq = 0;
  for (int64_t i = 0; i < n; ++i) usq += double(update[i]) * double(update[i]);
  const double denom = std::max(1.0, std::sqrt(usq) / (std::sqrt(double(n)) * o.d));
  const T scale = T(alpha / denom);
  for (int64_t i = 0; i < n; ++i) p[i] -= scale * update[i];
}

template <class T>
void rprop_update(T* p, const T* g, T* prev, T* step_size, int64_t n, const optim::RpropOptions& o) {
  const T up = T(o.eta_plus), down = T(o.eta_minus), lo = T(o.step_min), hi = T(o.step_max);
  const T sign = o.maximize ? T(-1) : T(1);
  each(n, [&](int64_t i) {
    T gi = sign * g[i];
    T s = gi * prev[i];
    if (s > 0) step_size[i] = std::min(step_size[i] * up, hi);
    else if (s < 0) step_size[i] = std::max(step_size[i] * down, lo);
    if (s < 0) gi = 0;  // after a sign change, skip this step's update
    p[i] -= T((gi > 0) - (gi < 0)) * step_size[i];
    prev[i] = gi;
  });
}

#define GLIA_OPTIM_INSTANTIATE(T)                                                            \
  template void sgd_update<T>(T*, const T*, T*, int64_t, const optim::SGDOptions&, bool);    \
  template void adam_update<T>(T*, const T*, T*, T*, T*, int64_t, const optim::AdamOptions&, \
                               int64_t);                                                      \
  template void adagrad_update<T>(T*, const T*, T*, int64_t, const optim::AdagradOptions&,   \
                                  int64_t);                                                   \
  template void rmsprop_update<T>(T*, const T*, T*, T*, T*, int64_t,                         \
                                  const optim::RMSpropOptions&);                              \
  template void adadelta_update<T>(T*, const T*, T*, T*, int64_t,                            \
                                   const optim::AdadeltaOptions&);                            \
  template void nadam_update<T>(T*, const T*, T*, T*, int64_t, const optim::NAdamOptions&,   \
                                int64_t, double, double, double);                             \
  template void adamax_update<T>(T*, const T*, T*, T*, int64_t, const optim::AdamaxOptions&, \
                                 int64_t);                                                  \
  template void radam_update<T>(T*, const T*, T*, T*, int64_t, const optim::RAdamOptions&,   \
                                int64_t);                                                   \
  template void asgd_update<T>(T*, const T*, T*, int64_t, const optim::ASGDOptions&, double,  \
                               double);                                                     \
  template void adafactor_update<T>(T*, const T*, T*, T*, T*, int64_t, int64_t, int64_t,     \
                                    const optim::AdafactorOptions&, int64_t);               \
  template void rprop_update<T>(T*, const T*, T*, T*, int64_t, const optim::RpropOptions&);
GLIA_OPTIM_INSTANTIATE(float)
GLIA_OPTIM_INSTANTIATE(double)
#undef GLIA_OPTIM_INSTANTIATE

}  // namespace glia::cpu
