#include "cpu/conv.h"

#include <omp.h>

#include <Eigen/Core>
#include <algorithm>
#include <cstring>
#include <vector>

#include "cpu/parallel.h"

namespace glia::cpu {

namespace {

template <class T>
using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using MapM = Eigen::Map<Mat<T>>;
template <class T>
using CMapM = Eigen::Map<const Mat<T>>;

bool is_pointwise(const ConvParams& p) {
  for (int d = 0; d < 3; ++d)
    if (p.k[d] != 1 || p.stride[d] != 1 || p.pad[d] != 0) return false;
  return true;
}

// col[(c, kd, kh, kw), (od, oh, ow)] = x[c, od*s - pad + kd*dil, ...] (0 outside).
template <class T>
void im2col(const T* x, int64_t channels, const ConvParams& p, T* col) {
  const int64_t L = p.out_size();
  for (int64_t c = 0; c < channels; ++c) {
    const T* xc = x + c * p.in_size();
    for (int64_t kd = 0; kd < p.k[0]; ++kd)
      for (int64_t kh = 0; kh < p.k[1]; ++kh)
        for (int64_t kw = 0; kw < p.k[2]; ++kw) {
          T* row = col + (((c * p.k[0] + kd) * p.k[1] + kh) * p.k[2] + kw) * L;
          for (int64_t od = 0; od < p.out[0]; ++od) {
            const int64_t id = od * p.stride[0] - p.pad[0] + kd * p.dil[0];
            for (int64_t oh = 0; oh < p.out[1]; ++oh) {
              const int64_t ih = oh * p.stride[1] - p.pad[1] + kh * p.dil[1];
              T* dst = row + (od * p.out[1] + oh) * p.out[2];
              if (id < 0 || id >= p.in[0] || ih < 0 || ih >= p.in[1]) {
                std::fill(dst, dst + p.out[2], T(0));
                continue;
              }
              const T* src = xc + (id * p.in[1] + ih) * p.in[2];
              const int64_t off = kw * p.dil[2] - p.pad[2], s = p.stride[2];
              if (s == 1) {
                // valid ow range: 0 <= ow + off < in[2]
                const int64_t lo = std::clamp<int64_t>(-off, 0, p.out[2]);
                const int64_t hi = std::clamp<int64_t>(p.in[2] - off, lo, p.out[2]);
                std::fill(dst, dst + lo, T(0));
                std::memcpy(dst + lo, src + lo + off, (hi - lo) * sizeof(T));
                std::fill(dst + hi, dst + p.out[2], T(0));
              } else {
                for (int64_t ow = 0; ow < p.out[2]; ++ow) {
                  const int64_t iw = ow * s + off;
                  dst[ow] = (iw >= 0 && iw < p.in[2]) ? src[iw] : T(0);
                }
              }
            }
          }
        }
  }
}

// The adjoint of im2col: x[c, ...] += col[(c, k...), (o...)].
template <class T>
void col2im(const T* col, int64_t channels, const ConvParams& p, T* x) {
  const int64_t L = p.out_size();
  for (int64_t c = 0; c < channels; ++c) {
    T* xc = x + c * p.in_size();
    for (int64_t kd = 0; kd < p.k[0]; ++kd)
      for (int64_t kh = 0; kh < p.k[1]; ++kh)
        for (int64_t kw = 0; kw < p.k[2]; ++kw) {
          const T* row = col + (((c * p.k[0] + kd) * p.k[1] + kh) * p.k[2] + kw) * L;
          for (int64_t od = 0; od < p.out[0]; ++od) {
            const int64_t id = od * p.stride[0] - p.pad[0] + kd * p.dil[0];
            if (id < 0 || id >= p.in[0]) continue;
            for (int64_t oh = 0; oh < p.out[1]; ++oh) {
              const int64_t ih = oh * p.stride[1] - p.pad[1] + kh * p.dil[1];
              if (ih < 0 || ih >= p.in[1]) continue;
              const T* src = row + (od * p.out[1] + oh) * p.out[2];
              T* dst = xc + (id * p.in[1] + ih) * p.in[2];
              const int64_t off = kw * p.dil[2] - p.pad[2], s = p.stride[2];
              for (int64_t ow = 0; ow < p.out[2]; ++ow) {
                const int64_t iw = ow * s + off;
                if (iw >= 0 && iw < p.in[2]) dst[iw] += src[ow];
              }
            }
          }
        }
  }
}

// Each thread handles whole images with its own column buffer; GEMMs inside stay
// single-threaded, so the two levels of parallelism never oversubscribe.
template <class F>
void over_batch(int64_t N, const F& fn) {
  parallel_for(0, N, 1, [&](int64_t b, int64_t e) {
    for (int64_t n = b; n < e; ++n) fn(n);
  });
}

}  // namespace

template <class T>
void conv_forward(const T* x, const T* w, const T* b, T* y, const ConvParams& p) {
  const int64_t Cg = p.C / p.groups, Og = p.O / p.groups, K = Cg * p.k_size(), L = p.out_size();
  const bool pointwise = is_pointwise(p);
  over_batch(p.N, [&](int64_t n) {
    std::vector<T> col(pointwise ? 0 : K * L);
    for (int64_t g = 0; g < p.groups; ++g) {
      const T* xg = x + (n * p.C + g * Cg) * p.in_size();
      const T* cols = xg;
      if (!pointwise) {
        im2col(xg, Cg, p, col.data());
        cols = col.data();
      }
      MapM<T> out(y + (n * p.O + g * Og) * L, Og, L);
      out.noalias() = CMapM<T>(w + g * Og * K, Og, K) * CMapM<T>(cols, K, L);
      if (b)
        for (int64_t o = 0; o < Og; ++o) out.row(o).array() += b[g * Og + o];
    }
  });
}

template <class T>
void conv_backward_input(const T* gy, const T* w, T* gx, const ConvParams& p) {
  const int64_t Cg = p.C / p.groups, Og = p.O / p.groups, K = Cg * p.k_size(), L = p.out_size();
  const bool pointwise = is_pointwise(p);
  over_batch(p.N, [&](int64_t n) {
    std::vector<T> col(pointwise ? 0 : K * L);
    for (int64_t g = 0; g < p.groups; ++g) {
      T* gxg = gx + (n * p.C + g * Cg) * p.in_size();
      auto wg = CMapM<T>(w + g * Og * K, Og, K);
      auto gyg = CMapM<T>(gy + (n * p.O + g * Og) * L, Og, L);
      if (pointwise) {
        MapM<T>(gxg, K, L).noalias() = wg.transpose() * gyg;
        continue;
      }
      MapM<T>(col.data(), K, L).noalias() = wg.transpose() * gyg;
      std::fill(gxg, gxg + Cg * p.in_size(), T(0));
      col2im(col.data(), Cg, p, gxg);
    }
  });
}

template <class T>
void conv_backward_weight(const T* gy, const T* x, T* gw, const ConvParams& p) {
  const int64_t Cg = p.C / p.groups, Og = p.O / p.groups, K = Cg * p.k_size(), L = p.out_size();
  const bool pointwise = is_pointwise(p);
  const int threads = std::max(1, std::min<int>(omp_get_max_threads(), int(p.N)));
  // per-thread partial weight gradients, summed at the end
  std::vector<std::vector<T>> partial(threads, std::vector<T>(p.O * K, T(0)));
  parallel_for(0, threads, 1, [&](int64_t tb, int64_t te) {
    for (int64_t t = tb; t < te; ++t) {
      std::vector<T> col(pointwise ? 0 : K * L);
      for (int64_t n = p.N * t / threads; n < p.N * (t + 1) / threads; ++n)
        for (int64_t g = 0; g < p.groups; ++g) {
          const T* xg = x + (n * p.C + g * Cg) * p.in_size();
          const T* cols = xg;
          if (!pointwise) {
            im2col(xg, Cg, p, col.data());
            cols = col.data();
          }
          MapM<T>(partial[t].data() + g * Og * K, Og, K).noalias() +=
              CMapM<T>(gy + (n * p.O + g * Og) * L, Og, L) * CMapM<T>(cols, K, L).transpose();
        }
    }
  });
  std::fill(gw, gw + p.O * K, T(0));
  for (auto& part : partial)
    for (int64_t i = 0; i < p.O * K; ++i) gw[i] += part[i];
}

template void conv_forward<float>(const float*, const float*, const float*, float*, const ConvParams&);
template void conv_forward<double>(const double*, const double*, const double*, double*, const ConvParams&);
template void conv_backward_input<float>(const float*, const float*, float*, const ConvParams&);
template void conv_backward_input<double>(const double*, const double*, double*, const ConvParams&);
template void conv_backward_weight<float>(const float*, const float*, float*, const ConvParams&);
template void conv_backward_weight<double>(const double*, const double*, double*, const ConvParams&);

}  // namespace glia::cpu
