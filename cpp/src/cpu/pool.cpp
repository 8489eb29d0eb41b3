#include "cpu/pool.h"

#include <cmath>
#include <limits>

#include "cpu/parallel.h"

namespace glia::cpu {

namespace {

template <class F>
void for_planes(const PoolWindows& w, const F& fn) {
  const int64_t per_plane = w.out[0] * w.out[1] * w.out[2];
  parallel_for(0, w.planes, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(per_plane * 4, 1)),
               [&](int64_t b, int64_t e) {
                 for (int64_t p = b; p < e; ++p) fn(p);
               });
}

double divisor_of(const PoolWindows& w, int64_t od, int64_t oh, int64_t ow) {
  if (w.divisor_override > 0) return w.divisor_override;
  return w.divisor[0][od] * w.divisor[1][oh] * w.divisor[2][ow];
}

// Calls fn(flat input index) for every input position in the window of (od, oh, ow).
template <class F>
void window(const PoolWindows& w, int64_t od, int64_t oh, int64_t ow, const F& fn) {
  for (int64_t id = w.start[0][od]; id < w.end[0][od]; id += w.step[0][od])
    for (int64_t ih = w.start[1][oh]; ih < w.end[1][oh]; ih += w.step[1][oh])
      for (int64_t iw = w.start[2][ow]; iw < w.end[2][ow]; iw += w.step[2][ow])
        fn((id * w.in[1] + ih) * w.in[2] + iw);
}

}  // namespace

template <class T>
void max_pool_forward(const T* x, const PoolWindows& w, T* y, int64_t* idx) {
  const int64_t in_n = w.in[0] * w.in[1] * w.in[2], out_n = w.out[0] * w.out[1] * w.out[2];
  for_planes(w, [&](int64_t p) {
    const T* xp = x + p * in_n;
    int64_t o = p * out_n;
    for (int64_t od = 0; od < w.out[0]; ++od)
      for (int64_t oh = 0; oh < w.out[1]; ++oh)
        for (int64_t ow = 0; ow < w.out[2]; ++ow, ++o) {
          T best = -std::numeric_limits<T>::infinity();
          int64_t bi = -1;
          window(w, od, oh, ow, [&](int64_t i) {
            const T v = xp[i];
            if (bi < 0 || v > best || std::isnan(v)) {
              if (!(bi >= 0 && std::isnan(best))) {
                best = v;
                bi = i;
              }
            }
          });
          y[o] = best;
          idx[o] = bi;  // -1: a window of padding only (dilation over a tiny input), -inf
        }
  });
}

template <class T>
void max_pool_backward(const T* gy, const int64_t* idx, const PoolWindows& w, T* gx) {
  const int64_t in_n = w.in[0] * w.in[1] * w.in[2], out_n = w.out[0] * w.out[1] * w.out[2];
  for_planes(w, [&](int64_t p) {
    T* gp = gx + p * in_n;
    for (int64_t i = 0; i < in_n; ++i) gp[i] = 0;
    for (int64_t o = p * out_n; o < (p + 1) * out_n; ++o)
      if (idx[o] >= 0) gp[idx[o]] += gy[o];  // a padding-only window's -inf depends on no input
  });
}

template <class T>
void avg_pool_forward(const T* x, const PoolWindows& w, T* y) {
  const int64_t in_n = w.in[0] * w.in[1] * w.in[2], out_n = w.out[0] * w.out[1] * w.out[2];
  for_planes(w, [&](int64_t p) {
    const T* xp = x + p * in_n;
    int64_t o = p * out_n;
    for (int64_t od = 0; od < w.out[0]; ++od)
      for (int64_t oh = 0; oh < w.out[1]; ++oh)
        for (int64_t ow = 0; ow < w.out[2]; ++ow, ++o) {
          double s = 0;
          window(w, od, oh, ow, [&](int64_t i) { s += xp[i]; });
          y[o] = T(s / divisor_of(w, od, oh, ow));
        }
  });
}

template <class T>
void avg_pool_backward(const T* gy, const PoolWindows& w, T* gx) {
  const int64_t in_n = w.in[0] * w.in[1] * w.in[2], out_n = w.out[0] * w.out[1] * w.out[2];
  for_planes(w, [&](int64_t p) {
    T* gp = gx + p * in_n;
    for (int64_t i = 0; i < in_n; ++i) gp[i] = 0;
    int64_t o = p * out_n;
    for (int64_t od = 0; od < w.out[0]; ++od)
      for (int64_t oh = 0; oh < w.out[1]; ++oh)
        for (int64_t ow = 0; ow < w.out[2]; ++ow, ++o) {
          const T g = T(gy[o] / divisor_of(w, od, oh, ow));
          window(w, od, oh, ow, [&](int64_t i) { gp[i] += g; });
        }
  });
}

#define GLIA_POOL_INSTANTIATE(T)                                                      \
  template void max_pool_forward<T>(const T*, const PoolWindows&, T*, int64_t*);      \
  template void max_pool_backward<T>(const T*, const int64_t*, const PoolWindows&, T*); \
  template void avg_pool_forward<T>(const T*, const PoolWindows&, T*);                \
  template void avg_pool_backward<T>(const T*, const PoolWindows&, T*);
GLIA_POOL_INSTANTIATE(float)
GLIA_POOL_INSTANTIATE(double)
#undef GLIA_POOL_INSTANTIATE

}  // namespace glia::cpu
