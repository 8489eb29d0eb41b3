#pragma once
// A register-tiled product C (+)= A @ B with B laid out as strips of columns (Panels): the
// recurrent ops' step products, which reuse one B for a whole sequence, their input
// projection, and matmuls below BLAS sizes (see linalg.cpp).
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "cpu/parallel.h"
#include "cpu/scratch.h"

namespace glia::cpu {
// Internal linkage: each file including this gets its own copy, which the compiler specialises
// to that file's calls (the strips' constant width, for one).
namespace {

// C (R, 2 vectors) (+)= A (R, K) @ B (K, 2 vectors), row-major with leading dims. Each step's
// recurrent product has few rows (a batch slice) against a weight matrix that stays the
// same for the whole sequence; a BLAS call would repack that matrix at every step, so this
// register-tiled loop reads one strip of it, laid out once per sequence (see Panels), which
// stays in cache across the rows (in L1 while K x 64 bytes fits there, K <= 512 or so).
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
// as B^T (N, K) row-major (W_hh itself in the forward). The last strip is padded with zero
// columns, so that every column runs in the vector kernel.
template <class T>
struct Panels {
  static constexpr int64_t W = 64 / sizeof(T);  // columns per tile: two AVX registers
  Panels(const T* src, int64_t ld, bool trans, int64_t k, int64_t n)
      : K(k), data(size_t(std::max<int64_t>(k * ((n + W - 1) / W * W), 1))) {
    parallel_for(0, (n + W - 1) / W, std::max<int64_t>(1, 16384 / std::max<int64_t>(K * W, 1)),
                 [&](int64_t s0, int64_t s1) {
                   for (int64_t j = s0 * W; j < s1 * W; j += W) {
                     T* out = data.data() + j * K;
                     const int64_t cols = std::min(W, n - j);  // the rest are zero padding
                     if (cols < W) std::fill(out, out + K * W, T(0));
                     // read the source along its rows; the strip (K x W) stays in L1
                     if (trans) {
                       for (int64_t x = 0; x < cols; ++x)
                         for (int64_t r = 0; r < K; ++r) out[r * W + x] = src[(j + x) * ld + r];
                     } else {
                       for (int64_t r = 0; r < K; ++r)
                         std::copy(src + r * ld + j, src + r * ld + j + cols, out + r * W);
                     }
                   }
                 });
  }
  const T* strip(int64_t j) const { return data.data() + j * K; }
  int64_t K;
  Scratch<T> data;
};

// The most rows of one register tile (2 * kTileRows accumulators of the 16 AVX registers).
constexpr int64_t kTileRows = 6;

// C (R, W) (+)= A (R, K) @ one strip of B, for R <= kTileRows rows chosen at run time.
template <class T>
void strip_tile(int64_t R, const T* A, int64_t lda, const T* b, T* C, int64_t ldc, int64_t K,
                bool acc) {
  constexpr int64_t W = Panels<T>::W;
  switch (R) {
    case 6: gemm_tile<T, 6>(A, lda, b, W, C, ldc, K, acc); break;
    case 5: gemm_tile<T, 5>(A, lda, b, W, C, ldc, K, acc); break;
    case 4: gemm_tile<T, 4>(A, lda, b, W, C, ldc, K, acc); break;
    case 3: gemm_tile<T, 3>(A, lda, b, W, C, ldc, K, acc); break;
    case 2: gemm_tile<T, 2>(A, lda, b, W, C, ldc, K, acc); break;
    default: gemm_tile<T, 1>(A, lda, b, W, C, ldc, K, acc); break;
  }
}

// Columns [c0, c1) of C (M, N) (+)= A (M, K) @ B for B given as Panels. K is not blocked:
// the few rows of A stream from L2 well enough, and a C tile loaded and stored once per strip
// instead of once per K block is what keeps the kernel near peak. (Larger K, as an input
// projection with I = 1024-2048, puts the strips in L2; paired runs there read the same time
// as a BLAS product.) A strip only partly in
// the range (the range's ends off a multiple of W, or the zero-padded last strip) runs on a
// copy of its columns in the range, and only those are written back.
template <class T>
void step_gemm(const T* A, int64_t lda, const Panels<T>& P, T* C, int64_t ldc, int64_t M,
               bool acc, int64_t c0, int64_t c1) {
  constexpr int64_t W = Panels<T>::W;
  const int64_t tiles = (M + kTileRows - 1) / kTileRows;  // as even as possible
  for (int64_t j = c0 / W * W; c0 < c1 && j < c1; j += W) {
    const T* b = P.strip(j);
    const int64_t x0 = std::max(c0, j) - j, x1 = std::min(c1, j + W) - j;  // in the strip
    for (int64_t t = 0, i = 0; t < tiles; ++t) {
      const int64_t r = M / tiles + (t < M % tiles ? 1 : 0);
      const T* a = A + i * lda;
      T* c = C + i * ldc + j;
      if (x1 - x0 == W) {
        strip_tile<T>(r, a, lda, b, c, ldc, P.K, acc);
      } else {
        T part[kTileRows * W] = {};
        for (int64_t y = 0; y < r; ++y)
          for (int64_t x = x0; x < x1 && acc; ++x) part[y * W + x] = c[y * ldc + x];
        strip_tile<T>(r, a, lda, b, part, W, P.K, true);
        for (int64_t y = 0; y < r; ++y)
          for (int64_t x = x0; x < x1; ++x) c[y * ldc + x] = part[y * W + x];
      }
      i += r;
    }
  }
}

}  // namespace
}  // namespace glia::cpu
