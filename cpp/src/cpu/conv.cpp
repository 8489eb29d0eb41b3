#include "cpu/conv.h"

#include <omp.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "cpu/conv_winograd.h"
#include "cpu/linalg.h"
#include "cpu/parallel.h"
#include "cpu/scratch.h"

namespace glia::cpu {

namespace {

// A 1x1 kernel with unit stride, no padding and input and output planes of the same size
// (a transposed conv's output_padding can make them differ) is a plain GEMM.
bool is_pointwise(const ConvParams& p) {
  for (int d = 0; d < 3; ++d)
    if (p.k[d] != 1 || p.stride[d] != 1 || p.pad[d] != 0 || p.in[d] != p.out[d]) return false;
  return true;
}

// Each thread handles whole images with its own column buffer; GEMMs inside stay
// single-threaded, so the two levels of parallelism never oversubscribe.
template <class F>
void over_batch(int64_t N, const F& fn) {
  parallel_for(0, N, 1, [&](int64_t b, int64_t e) {
    for (int64_t n = b; n < e; ++n) fn(n);
  });
}

// Output positions o along one dim whose input o*stride + off lies in [0, in).
void valid_range(int64_t out, int64_t in, int64_t stride, int64_t off, int64_t& lo, int64_t& hi) {
  auto ceil_div = [](int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); };
  lo = std::clamp<int64_t>(ceil_div(-off, stride), 0, out);
  hi = std::clamp<int64_t>(ceil_div(in - off, stride), lo, out);
}

// Output rows are the flattened (od, oh) pairs, each holding out[2] positions. The kernels
// work on tiles of rows [r0, r1) so the column buffer stays in cache (a whole image's
// columns can be megabytes, and writing them out to memory cost more than the GEMM).

// col[(c, kd, kh, kw), (r - r0, ow)] = x[c, od*s - pad + kd*dil, ...] (0 outside).
template <class T>
void im2col(const T* x, int64_t channels, const ConvParams& p, int64_t r0, int64_t r1, T* col) {
  const int64_t T_cols = (r1 - r0) * p.out[2];
  for (int64_t c = 0; c < channels; ++c) {
    const T* xc = x + c * p.in_size();
    for (int64_t kd = 0; kd < p.k[0]; ++kd)
      for (int64_t kh = 0; kh < p.k[1]; ++kh)
        for (int64_t kw = 0; kw < p.k[2]; ++kw) {
          T* row = col + (((c * p.k[0] + kd) * p.k[1] + kh) * p.k[2] + kw) * T_cols;
          const int64_t off = kw * p.dil[2] - p.pad[2], s = p.stride[2];
          int64_t lo, hi;
          valid_range(p.out[2], p.in[2], s, off, lo, hi);
          for (int64_t r = r0; r < r1; ++r) {
            const int64_t od = r / p.out[1], oh = r % p.out[1];
            const int64_t id = od * p.stride[0] - p.pad[0] + kd * p.dil[0];
            const int64_t ih = oh * p.stride[1] - p.pad[1] + kh * p.dil[1];
            T* dst = row + (r - r0) * p.out[2];
            if (id < 0 || id >= p.in[0] || ih < 0 || ih >= p.in[1]) {
              std::fill(dst, dst + p.out[2], T(0));
              continue;
            }
            const T* src = xc + (id * p.in[1] + ih) * p.in[2] + off;
            std::fill(dst, dst + lo, T(0));
            if (s == 1) {
              std::memcpy(dst + lo, src + lo, (hi - lo) * sizeof(T));
            } else {
              for (int64_t ow = lo; ow < hi; ++ow) dst[ow] = src[ow * s];
            }
            std::fill(dst + hi, dst + p.out[2], T(0));
          }
        }
  }
}

// The adjoint of im2col: x[c, ...] += col[(c, k...), (r - r0, ow)].
template <class T>
void col2im(const T* col, int64_t channels, const ConvParams& p, int64_t r0, int64_t r1, T* x) {
  const int64_t T_cols = (r1 - r0) * p.out[2];
  for (int64_t c = 0; c < channels; ++c) {
    T* xc = x + c * p.in_size();
    for (int64_t kd = 0; kd < p.k[0]; ++kd)
      for (int64_t kh = 0; kh < p.k[1]; ++kh)
        for (int64_t kw = 0; kw < p.k[2]; ++kw) {
          const T* row = col + (((c * p.k[0] + kd) * p.k[1] + kh) * p.k[2] + kw) * T_cols;
          const int64_t off = kw * p.dil[2] - p.pad[2], s = p.stride[2];
          int64_t lo, hi;
          valid_range(p.out[2], p.in[2], s, off, lo, hi);
          for (int64_t r = r0; r < r1; ++r) {
            const int64_t od = r / p.out[1], oh = r % p.out[1];
            const int64_t id = od * p.stride[0] - p.pad[0] + kd * p.dil[0];
            const int64_t ih = oh * p.stride[1] - p.pad[1] + kh * p.dil[1];
            if (id < 0 || id >= p.in[0] || ih < 0 || ih >= p.in[1]) continue;
            const T* src = row + (r - r0) * p.out[2];
            T* dst = xc + (id * p.in[1] + ih) * p.in[2] + off;
            if (s == 1) {
              for (int64_t ow = lo; ow < hi; ++ow) dst[ow] += src[ow];
            } else {
              for (int64_t ow = lo; ow < hi; ++ow) dst[ow * s] += src[ow];
            }
          }
        }
  }
}

// Rows per tile: about 512 output positions (at least one row), so K x tile columns fit
// in L2 for typical K.
int64_t tile_rows(const ConvParams& p) {
  return std::max<int64_t>(1, 512 / std::max<int64_t>(p.out[2], 1));
}

// Depthwise convolution (one input channel per group) as direct loops: im2col + GEMM would
// run thousands of 1-row products. fn(out_plane, in_plane, weights, kd, kh, kw, ...) visits
// every (output row, input row, kernel tap) with the valid output column range.
template <class F>
void depthwise_taps(const ConvParams& p, const F& fn) {
  for (int64_t kd = 0; kd < p.k[0]; ++kd)
    for (int64_t kh = 0; kh < p.k[1]; ++kh)
      for (int64_t kw = 0; kw < p.k[2]; ++kw) {
        const int64_t off_w = kw * p.dil[2] - p.pad[2];
        int64_t lo, hi;
        valid_range(p.out[2], p.in[2], p.stride[2], off_w, lo, hi);
        if (lo >= hi) continue;
        for (int64_t od = 0; od < p.out[0]; ++od) {
          const int64_t id = od * p.stride[0] - p.pad[0] + kd * p.dil[0];
          if (id < 0 || id >= p.in[0]) continue;
          for (int64_t oh = 0; oh < p.out[1]; ++oh) {
            const int64_t ih = oh * p.stride[1] - p.pad[1] + kh * p.dil[1];
            if (ih < 0 || ih >= p.in[1]) continue;
            fn((kd * p.k[1] + kh) * p.k[2] + kw, (od * p.out[1] + oh) * p.out[2],
               (id * p.in[1] + ih) * p.in[2] + off_w, lo, hi);
          }
        }
      }
}

bool is_depthwise(const ConvParams& p) { return p.groups > 1 && p.C == p.groups; }

}  // namespace

template <class T>
void conv_forward(const T* x, const T* w, const T* b, T* y, const ConvParams& p) {
  if (winograd_applies(p)) return winograd_conv_forward(x, w, b, y, p);
  const int64_t Cg = p.C / p.groups, Og = p.O / p.groups, K = Cg * p.k_size(), L = p.out_size();
  if (is_depthwise(p)) {
    const int64_t s = p.stride[2];
    parallel_for(0, p.N * p.O, 1, [&](int64_t pb, int64_t pe) {
      for (int64_t plane = pb; plane < pe; ++plane) {
        const int64_t n = plane / p.O, o = plane % p.O, c = o / Og;
        T* yp = y + plane * L;
        std::fill(yp, yp + L, b ? b[o] : T(0));
        const T* xp = x + (n * p.C + c) * p.in_size();
        const T* wp = w + o * p.k_size();
        depthwise_taps(p, [&](int64_t tap, int64_t out_row, int64_t in_row, int64_t lo, int64_t hi) {
          const T wv = wp[tap];
          T* yr = yp + out_row;
          const T* xr = xp + in_row;
          if (s == 1)
            for (int64_t ow = lo; ow < hi; ++ow) yr[ow] += wv * xr[ow];
          else
            for (int64_t ow = lo; ow < hi; ++ow) yr[ow] += wv * xr[ow * s];
        });
      }
    });
    return;
  }
  if (is_pointwise(p)) {
    over_batch(p.N, [&](int64_t n) {
      for (int64_t g = 0; g < p.groups; ++g) {
        T* out = y + (n * p.O + g * Og) * L;
        if (b)
          for (int64_t o = 0; o < Og; ++o) std::fill(out + o * L, out + (o + 1) * L, b[g * Og + o]);
        gemm_serial<T>(w + g * Og * K, false, K, x + (n * p.C + g * Cg) * p.in_size(), false, L, out, L,
                       Og, L, K, b != nullptr);
      }
    });
    return;
  }
  const int64_t R = p.out[0] * p.out[1], TR = tile_rows(p);
  over_batch(p.N, [&](int64_t n) {
    Scratch<T> col(K * TR * p.out[2]);
    for (int64_t g = 0; g < p.groups; ++g) {
      const T* xg = x + (n * p.C + g * Cg) * p.in_size();
      T* out = y + (n * p.O + g * Og) * L;
      if (b)
        for (int64_t o = 0; o < Og; ++o) std::fill(out + o * L, out + (o + 1) * L, b[g * Og + o]);
      for (int64_t r0 = 0; r0 < R; r0 += TR) {
        const int64_t r1 = std::min(R, r0 + TR), cols = (r1 - r0) * p.out[2];
        im2col(xg, Cg, p, r0, r1, col.data());
        gemm_serial<T>(w + g * Og * K, false, K, col.data(), false, cols, out + r0 * p.out[2], L, Og,
                       cols, K, b != nullptr);
      }
    }
  });
}

template <class T>
void conv_backward_input(const T* gy, const T* w, T* gx, const ConvParams& p) {
  if (winograd_applies(p)) return winograd_conv_backward_input(gy, w, gx, p);
  const int64_t Cg = p.C / p.groups, Og = p.O / p.groups, K = Cg * p.k_size(), L = p.out_size();
  if (is_depthwise(p)) {
    const int64_t s = p.stride[2];
    parallel_for(0, p.N * p.C, 1, [&](int64_t pb, int64_t pe) {
      for (int64_t plane = pb; plane < pe; ++plane) {
        const int64_t n = plane / p.C, c = plane % p.C;
        T* gxp = gx + plane * p.in_size();
        std::fill(gxp, gxp + p.in_size(), T(0));
        for (int64_t o = c * Og; o < (c + 1) * Og; ++o) {
          const T* gyp = gy + (n * p.O + o) * L;
          const T* wp = w + o * p.k_size();
          depthwise_taps(p, [&](int64_t tap, int64_t out_row, int64_t in_row, int64_t lo, int64_t hi) {
            const T wv = wp[tap];
            const T* gr = gyp + out_row;
            T* xr = gxp + in_row;
            if (s == 1)
              for (int64_t ow = lo; ow < hi; ++ow) xr[ow] += wv * gr[ow];
            else
              for (int64_t ow = lo; ow < hi; ++ow) xr[ow * s] += wv * gr[ow];
          });
        }
      }
    });
    return;
  }
  const bool pointwise = is_pointwise(p);
  const int64_t R = p.out[0] * p.out[1], TR = tile_rows(p);
  over_batch(p.N, [&](int64_t n) {
    Scratch<T> col(pointwise ? 0 : K * TR * p.out[2]);
    for (int64_t g = 0; g < p.groups; ++g) {
      T* gxg = gx + (n * p.C + g * Cg) * p.in_size();
      const T* wg = w + g * Og * K;
      const T* gyg = gy + (n * p.O + g * Og) * L;
      if (pointwise) {
        gemm_serial<T>(wg, true, K, gyg, false, L, gxg, L, K, L, Og, false);
        continue;
      }
      std::fill(gxg, gxg + Cg * p.in_size(), T(0));
      for (int64_t r0 = 0; r0 < R; r0 += TR) {
        const int64_t r1 = std::min(R, r0 + TR), cols = (r1 - r0) * p.out[2];
        gemm_serial<T>(wg, true, K, gyg + r0 * p.out[2], false, L, col.data(), cols, K, cols, Og, false);
        col2im(col.data(), Cg, p, r0, r1, gxg);
      }
    }
  });
}

template <class T>
void conv_backward_weight(const T* gy, const T* x, T* gw, const ConvParams& p) {
  if (winograd_applies(p)) return winograd_conv_backward_weight(gy, x, gw, p);
  const int64_t Cg = p.C / p.groups, Og = p.O / p.groups, K = Cg * p.k_size(), L = p.out_size();
  if (is_depthwise(p)) {
    const int64_t s = p.stride[2];
    // each thread owns whole output channels, so no partial sums are needed
    parallel_for(0, p.O, 1, [&](int64_t ob, int64_t oe) {
      for (int64_t o = ob; o < oe; ++o) {
        T* gwp = gw + o * p.k_size();
        std::fill(gwp, gwp + p.k_size(), T(0));
        const int64_t c = o / Og;
        for (int64_t n = 0; n < p.N; ++n) {
          const T* gyp = gy + (n * p.O + o) * L;
          const T* xp = x + (n * p.C + c) * p.in_size();
          depthwise_taps(p, [&](int64_t tap, int64_t out_row, int64_t in_row, int64_t lo, int64_t hi) {
            const T* gr = gyp + out_row;
            const T* xr = xp + in_row;
            T acc = 0;
            if (s == 1)
              for (int64_t ow = lo; ow < hi; ++ow) acc += gr[ow] * xr[ow];
            else
              for (int64_t ow = lo; ow < hi; ++ow) acc += gr[ow] * xr[ow * s];
            gwp[tap] += acc;
          });
        }
      }
    });
    return;
  }
  const bool pointwise = is_pointwise(p);
  const int64_t R = p.out[0] * p.out[1], TR = tile_rows(p);
  const int threads = std::max(1, std::min<int>(omp_get_max_threads(), int(p.N)));
  // per-thread partial weight gradients, summed at the end
  Scratch<T> partial(size_t(threads) * p.O * K);
  parallel_for(0, threads, 1, [&](int64_t tb, int64_t te) {
    for (int64_t t = tb; t < te; ++t) {
      T* part = partial.data() + t * p.O * K;
      std::fill(part, part + p.O * K, T(0));
      Scratch<T> col(pointwise ? 0 : K * TR * p.out[2]);
      for (int64_t n = p.N * t / threads; n < p.N * (t + 1) / threads; ++n)
        for (int64_t g = 0; g < p.groups; ++g) {
          const T* xg = x + (n * p.C + g * Cg) * p.in_size();
          const T* gyg = gy + (n * p.O + g * Og) * L;
          if (pointwise) {
            gemm_serial<T>(gyg, false, L, xg, true, L, part + g * Og * K, K, Og, K, L, true);
            continue;
          }
          for (int64_t r0 = 0; r0 < R; r0 += TR) {
            const int64_t r1 = std::min(R, r0 + TR), cols = (r1 - r0) * p.out[2];
            im2col(xg, Cg, p, r0, r1, col.data());
            gemm_serial<T>(gyg + r0 * p.out[2], false, L, col.data(), true, cols, part + g * Og * K, K, Og,
                           K, cols, true);
          }
        }
    }
  });
  sum_partials(partial.data(), threads, p.O * K, p.O * K, gw);
}

template void conv_forward<float>(const float*, const float*, const float*, float*, const ConvParams&);
template void conv_forward<double>(const double*, const double*, const double*, double*, const ConvParams&);
template void conv_backward_input<float>(const float*, const float*, float*, const ConvParams&);
template void conv_backward_input<double>(const double*, const double*, double*, const ConvParams&);
template void conv_backward_weight<float>(const float*, const float*, float*, const ConvParams&);
template void conv_backward_weight<double>(const double*, const double*, double*, const ConvParams&);

}  // namespace glia::cpu
