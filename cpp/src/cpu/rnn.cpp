#include "cpu/rnn.h"

#include <Eigen/Core>
#include <algorithm>
#include <cstring>

#include "cpu/parallel.h"
#include "cpu/scratch.h"

namespace glia::cpu {
namespace {

template <class T>
using Vec = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;
template <class T>
using CVec = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;

using nn::RnnMode;

bool active(const RnnShape& s, int64_t t, int64_t b) { return !s.lengths || t < s.lengths[b]; }

// Each sequence's recurrence is independent of the others', so whole time loops run on
// batch slices in parallel with no per-step synchronisation; tiny problems stay serial.
template <class F>
void over_batch(const RnnShape& s, const F& fn) {
  const int64_t work = s.T * s.B * s.G * s.H * s.H;
  const int64_t grain = work < (int64_t(1) << 18) ? std::max<int64_t>(s.B, 1) : 4;
  parallel_for(0, s.B, grain, fn);
}

// C (M, N) (+)= A (M, K) @ B (K, N), row-major with leading dims, B read in place. Each
// step's recurrent product has few rows (a batch slice) against a weight matrix that stays
// the same for the whole sequence; a BLAS call would repack that matrix at every step, so
// this register-tiled loop reads it directly (a 16-column strip stays in L1 across rows).
template <class T, int R>
void gemm_tile(const T* A, int64_t lda, const T* B, int64_t ldb, T* C, int64_t ldc, int64_t K,
               bool acc) {
  typedef T V __attribute__((vector_size(32)));  // one AVX register
  constexpr int L = 32 / sizeof(T);
  auto load = [](const T* p) {
    V v;
    std::memcpy(&v, p, sizeof(V));
    return v;
  };
  V c[R][2];
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < 2; ++v) c[r][v] = acc ? load(C + r * ldc + v * L) : V{};
  for (int64_t k = 0; k < K; ++k) {
    const V b0 = load(B + k * ldb), b1 = load(B + k * ldb + L);
    for (int r = 0; r < R; ++r) {
      const T a = A[r * lda + k];
      c[r][0] += a * b0;
      c[r][1] += a * b1;
    }
  }
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < 2; ++v) std::memcpy(C + r * ldc + v * L, &c[r][v], sizeof(V));
}

// The weight operand B (K, N) of the step products, laid out once per sequence as strips of
// W columns, each strip K x W contiguous: every step then reads each strip sequentially
// instead of one cache line per row, rows 4 KiB apart. With `trans`, the source is stored
// as B^T (N, K) row-major (W_hh itself in the forward). The last N % W columns are read
// from the source.
template <class T>
struct Panels {
  static constexpr int64_t W = 64 / sizeof(T);  // columns per tile: two AVX registers
  Panels(const T* src, int64_t ld, bool trans, int64_t k, int64_t n)
      : src(src), ld(ld), trans(trans), K(k), N(n), full(n / W * W),
        data(size_t(std::max<int64_t>(k * (n / W * W), 1))) {
    parallel_for(0, full / W, std::max<int64_t>(1, 16384 / std::max<int64_t>(K * W, 1)),
                 [&](int64_t s0, int64_t s1) {
                   for (int64_t j = s0 * W; j < s1 * W; j += W)
                     for (int64_t r = 0; r < K; ++r)
                       for (int64_t x = 0; x < W; ++x) data.data()[j * K + r * W + x] = at(r, j + x);
                 });
  }
  T at(int64_t r, int64_t c) const { return trans ? src[c * ld + r] : src[r * ld + c]; }
  const T* strip(int64_t j) const { return data.data() + j * K; }
  const T* src;
  int64_t ld;
  bool trans;
  int64_t K, N, full;
  Scratch<T> data;
};

// C (M, N) (+)= A (M, K) @ B for B given as Panels, K in blocks so that a block of A and a
// strip share L1.
template <class T>
void step_gemm(const T* A, int64_t lda, const Panels<T>& P, T* C, int64_t ldc, int64_t M,
               bool acc) {
  constexpr int64_t W = Panels<T>::W, KB = 128;
  const int64_t tiles = (M + 5) / 6;  // at most 6 rows each, as even as possible
  for (int64_t k0 = 0; k0 < P.K; k0 += KB) {
    const int64_t kb = std::min(KB, P.K - k0);
    const bool add = acc || k0 > 0;
    for (int64_t j = 0; j < P.full; j += W) {
      const T* b = P.strip(j) + k0 * W;
      for (int64_t t = 0, i = 0; t < tiles; ++t) {
        const int64_t r = M / tiles + (t < M % tiles ? 1 : 0);
        const T* a = A + i * lda + k0;
        T* c = C + i * ldc + j;
        switch (r) {
          case 6: gemm_tile<T, 6>(a, lda, b, W, c, ldc, kb, add); break;
          case 5: gemm_tile<T, 5>(a, lda, b, W, c, ldc, kb, add); break;
          case 4: gemm_tile<T, 4>(a, lda, b, W, c, ldc, kb, add); break;
          case 3: gemm_tile<T, 3>(a, lda, b, W, c, ldc, kb, add); break;
          case 2: gemm_tile<T, 2>(a, lda, b, W, c, ldc, kb, add); break;
          default: gemm_tile<T, 1>(a, lda, b, W, c, ldc, kb, add); break;
        }
        i += r;
      }
    }
  }
  for (int64_t i = 0; i < M; ++i)  // leftover columns
    for (int64_t x = P.full; x < P.N; ++x) {
      T sum = acc ? C[i * ldc + x] : T(0);
      for (int64_t k = 0; k < P.K; ++k) sum += A[i * lda + k] * P.at(k, x);
      C[i * ldc + x] = sum;
    }
}

// The state before step t is hs[t] going forward and hs[t + 1] in reverse.
int64_t prev_index(const RnnShape& s, int64_t t) { return s.reverse ? t + 1 : t; }
int64_t next_index(const RnnShape& s, int64_t t) { return s.reverse ? t : t + 1; }

// One step of one sequence. g: the step's gate row (x part in, activations out), hh: the
// recurrent GEMM row h_prev W_hh^T (without b_hh).
template <class T>
void cell_forward(const RnnShape& s, T* g, const T* hh, const T* b_hh, const T* h_prev,
                  const T* c_prev, T* h_new, T* c_new, T* hn) {
  const int64_t H = s.H, GH = s.G * s.H;
  switch (s.mode) {
    case RnnMode::Tanh:
    case RnnMode::Relu: {
      Vec<T> pre(g, H);
      if (hh) pre += CVec<T>(hh, H);
      if (b_hh) pre += CVec<T>(b_hh, H);
      if (s.mode == RnnMode::Tanh) Vec<T>(h_new, H) = pre.tanh();
      else Vec<T>(h_new, H) = pre.max(T(0));
      break;
    }
    case RnnMode::Lstm: {
      Vec<T> pre(g, GH);
      if (hh) pre += CVec<T>(hh, GH);
      if (b_hh) pre += CVec<T>(b_hh, GH);
      Vec<T> if_(g, 2 * H), gg(g + 2 * H, H), o(g + 3 * H, H);
      if_ = if_.logistic();
      gg = gg.tanh();
      o = o.logistic();
      Vec<T> c(c_new, H);
      c = CVec<T>(g + H, H) * CVec<T>(c_prev, H) + CVec<T>(g, H) * gg;
      Vec<T>(h_new, H) = o * c.tanh();
      break;
    }
    case RnnMode::Gru: {
      Vec<T> rz(g, 2 * H), n(g + 2 * H, H), hn_row(hn, H);
      rz += CVec<T>(hh, 2 * H);
      hn_row = CVec<T>(hh + 2 * H, H);
      if (b_hh) {
        rz += CVec<T>(b_hh, 2 * H);
        hn_row += CVec<T>(b_hh + 2 * H, H);
      }
      rz = rz.logistic();
      n = (n + CVec<T>(g, H) * hn_row).tanh();
      CVec<T> z(g + H, H), hp(h_prev, H);
      Vec<T>(h_new, H) = n + z * (hp - n);
      break;
    }
  }
}

// The gradient through one step of one sequence: writes the pre-activation gradients and
// sets dh to the part of dh_prev that bypasses W_hh (GRU's z * dh; zero otherwise) and dc to
// dc_prev. tmp holds 2 * H scratch values.
template <class T>
void cell_backward(const RnnShape& s, const T* g, const T* h_prev, const T* h_new,
                   const T* c_prev, const T* c_new, const T* hn, const T* d_out, T* dh, T* dc,
                   T* dgi, T* dgh, T* tmp) {
  const int64_t H = s.H;
  Vec<T> dht(tmp, H);
  dht = CVec<T>(dh, H) + CVec<T>(d_out, H);
  switch (s.mode) {
    case RnnMode::Tanh: {
      CVec<T> h(h_new, H);
      Vec<T>(dgi, H) = dht * (T(1) - h * h);
      Vec<T>(dh, H).setZero();
      break;
    }
    case RnnMode::Relu: {
      CVec<T> h(h_new, H);
      Vec<T>(dgi, H) = (h > T(0)).select(dht, T(0));
      Vec<T>(dh, H).setZero();
      break;
    }
    case RnnMode::Lstm: {
      CVec<T> i(g, H), f(g + H, H), gg(g + 2 * H, H), o(g + 3 * H, H);
      Vec<T> tc(tmp + H, H);
      tc = CVec<T>(c_new, H).tanh();
      Vec<T> dct(dc, H);  // becomes the cell gradient at this step, then dc_prev
      dct += dht * o * (T(1) - tc * tc);
      Vec<T>(dgi, H) = dct * gg * i * (T(1) - i);
      Vec<T>(dgi + H, H) = dct * CVec<T>(c_prev, H) * f * (T(1) - f);
      Vec<T>(dgi + 2 * H, H) = dct * i * (T(1) - gg * gg);
      Vec<T>(dgi + 3 * H, H) = dht * tc * o * (T(1) - o);
      dct *= f;
      Vec<T>(dh, H).setZero();
      break;
    }
    case RnnMode::Gru: {
      CVec<T> r(g, H), z(g + H, H), n(g + 2 * H, H), hp(h_prev, H), hn_row(hn, H);
      Vec<T> dn(dgi + 2 * H, H);
      dn = dht * (T(1) - z) * (T(1) - n * n);
      Vec<T>(dgi + H, H) = dht * (hp - n) * z * (T(1) - z);
      Vec<T>(dgi, H) = dn * hn_row * r * (T(1) - r);
      std::copy(dgi, dgi + 2 * H, dgh);
      Vec<T>(dgh + 2 * H, H) = dn * r;
      Vec<T>(dh, H) = dht * z;
      break;
    }
  }
}

}  // namespace

template <class T>
void rnn_forward(const RnnShape& s, const T* w_hh, const T* b_hh, T* gates, T* hs, T* cs, T* hn,
                 T* out) {
  const int64_t B = s.B, H = s.H, GH = s.G * s.H;
  const Panels<T> w(w_hh, H, true, H, GH);  // W_hh^T
  // GRU keeps W_hn h apart (r scales it); the others add h W_hh^T straight into the gates
  const bool separate = s.mode == RnnMode::Gru;
  over_batch(s, [&](int64_t b0, int64_t b1) {
    const int64_t rows = b1 - b0;
    Scratch<T> hh(size_t(separate ? rows * GH : 1));
    for (int64_t k = 0; k < s.T; ++k) {
      const int64_t t = s.reverse ? s.T - 1 - k : k;
      const int64_t p = prev_index(s, t) * B * H, q = next_index(s, t) * B * H;
      if (separate) step_gemm<T>(hs + p + b0 * H, H, w, hh.data(), GH, rows, false);
      else step_gemm<T>(hs + p + b0 * H, H, w, gates + (t * B + b0) * GH, GH, rows, true);
      for (int64_t b = b0; b < b1; ++b) {
        T* o = out + (t * B + b) * H;
        if (!active(s, t, b)) {  // a padded step: the state carries over, the output is zero
          std::copy(hs + p + b * H, hs + p + (b + 1) * H, hs + q + b * H);
          if (cs) std::copy(cs + p + b * H, cs + p + (b + 1) * H, cs + q + b * H);
          std::fill(o, o + H, T(0));
          continue;
        }
        cell_forward<T>(s, gates + (t * B + b) * GH, separate ? hh.data() + (b - b0) * GH : nullptr, b_hh,
                        hs + p + b * H, cs ? cs + p + b * H : nullptr, hs + q + b * H,
                        cs ? cs + q + b * H : nullptr, hn ? hn + (t * B + b) * H : nullptr);
        std::copy(hs + q + b * H, hs + q + (b + 1) * H, o);
      }
    }
  });
}

template <class T>
void rnn_backward(const RnnShape& s, const T* w_hh, const T* gates, const T* hs, const T* cs,
                  const T* hn, const T* d_out, T* dh, T* dc, T* dgi, T* dgh) {
  const int64_t B = s.B, H = s.H, GH = s.G * s.H;
  T* dg_hidden = dgh ? dgh : dgi;  // what flows back through W_hh
  const Panels<T> w(w_hh, H, false, GH, H);
  over_batch(s, [&](int64_t b0, int64_t b1) {
    Scratch<T> tmp(size_t(2 * H));
    for (int64_t k = 0; k < s.T; ++k) {
      const int64_t t = s.reverse ? k : s.T - 1 - k;
      const int64_t p = prev_index(s, t) * B * H, q = next_index(s, t) * B * H;
      for (int64_t b = b0; b < b1; ++b) {
        const int64_t row = (t * B + b) * GH;
        if (!active(s, t, b)) {  // padded: no gradient, dh and dc pass through unchanged
          std::fill(dgi + row, dgi + row + GH, T(0));
          if (dgh) std::fill(dgh + row, dgh + row + GH, T(0));
          continue;
        }
        cell_backward<T>(s, gates + row, hs + p + b * H, hs + q + b * H,
                         cs ? cs + p + b * H : nullptr, cs ? cs + q + b * H : nullptr,
                         hn ? hn + (t * B + b) * H : nullptr, d_out + (t * B + b) * H, dh + b * H,
                         dc ? dc + b * H : nullptr, dgi + row, dgh ? dgh + row : nullptr,
                         tmp.data());
      }
      // dh_prev += dG W_hh; padded rows have dG = 0 and keep their dh.
      step_gemm<T>(dg_hidden + (t * B + b0) * GH, GH, w, dh + b0 * H, H, b1 - b0, true);
    }
  });
}

template void rnn_forward<float>(const RnnShape&, const float*, const float*, float*, float*,
                                 float*, float*, float*);
template void rnn_forward<double>(const RnnShape&, const double*, const double*, double*, double*,
                                  double*, double*, double*);
template void rnn_backward<float>(const RnnShape&, const float*, const float*, const float*,
                                  const float*, const float*, const float*, float*, float*, float*,
                                  float*);
template void rnn_backward<double>(const RnnShape&, const double*, const double*, const double*,
                                   const double*, const double*, const double*, double*, double*,
                                   double*, double*);

}  // namespace glia::cpu
