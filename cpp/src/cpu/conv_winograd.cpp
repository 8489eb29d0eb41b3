#include "cpu/conv_winograd.h"

#include <omp.h>

#include <algorithm>
#include <vector>

#include "cpu/linalg.h"
#include "cpu/parallel.h"
#include "cpu/scratch.h"

namespace glia::cpu {

namespace {

constexpr int64_t kXi = 16;  // positions of a transformed 4x4 tile

// Tiles are numbered over (image, tile row, tile col); tile t covers output rows
// 2*ti, 2*ti+1 and input rows 2*ti - pad .. 2*ti - pad + 3 (same for columns).
struct Tiling {
  int64_t H, W, OH, OW, ph, pw, th, tw, tiles, total;
  explicit Tiling(const ConvParams& p)
      : H(p.in[1]), W(p.in[2]), OH(p.out[1]), OW(p.out[2]), ph(p.pad[1]), pw(p.pad[2]),
        th((OH + 1) / 2), tw((OW + 1) / 2), tiles(th * tw), total(p.N * th * tw) {}
};

// Tiles per block. Wide blocks make the 16 GEMMs efficient: about 1.5 MB of transformed
// inputs and products per block measured fastest, even past L2. Small problems still get
// two blocks per thread.
int64_t tile_block(int64_t C, int64_t O, int64_t total_tiles) {
  const int64_t wide = 393216 / (kXi * (C + O));
  const int64_t split = (total_tiles + 2 * omp_get_max_threads() - 1) / (2 * omp_get_max_threads());
  return std::clamp<int64_t>((std::min(wide, split) + 7) / 8 * 8, 16, 256);
}

// Up to kRun tiles of one tile row are transformed together, one tile per SIMD lane.
constexpr int kRun = 8;

// A run of consecutive tiles of one tile row: block tiles [i, i + len), image n, tile row
// ti, first tile column tj.
struct Run {
  int64_t i, len, n, ti, tj;
};

std::vector<Run> tile_runs(const Tiling& g, int64_t t0, int64_t nt) {
  std::vector<Run> runs;
  for (int64_t i = 0; i < nt;) {
    const int64_t t = t0 + i, r = t % g.tiles, tj = r % g.tw;
    const int64_t len = std::min<int64_t>({kRun, g.tw - tj, nt - i});
    runs.push_back({i, len, t / g.tiles, r / g.tw, tj});
    i += len;
  }
  return runs;
}

// xp = x zero-padded to (Hp, Wp) = (2*th + 2, 2*tw + 2 + 2*kRun) per plane, so every tile's
// 4x4 patch (and those of a run's unused lanes) lies inside: tile (ti, tj) starts at row
// 2*ti, column 2*tj.
template <class T>
void pad_input(const T* x, int64_t planes, const Tiling& g, int64_t Hp, int64_t Wp, T* xp) {
  parallel_for(0, planes, 1, [&](int64_t pb, int64_t pe) {
    for (int64_t q = pb; q < pe; ++q) {
      const T* src = x + q * g.H * g.W;
      T* dst = xp + q * Hp * Wp;
      for (int64_t r = 0; r < Hp; ++r) {
        T* row = dst + r * Wp;
        const int64_t ih = r - g.ph;
        if (ih < 0 || ih >= g.H) {
          std::fill(row, row + Wp, T(0));
          continue;
        }
        const int64_t lo = std::min(g.pw, Wp), hi = std::min(Wp, g.pw + g.W);
        std::fill(row, row + lo, T(0));
        std::copy(src + ih * g.W, src + ih * g.W + (hi - lo), row + lo);
        std::fill(row + hi, row + Wp, T(0));
      }
    }
  });
}

// out[xi * s + m] = (B^T d B)[xi] for the 4x4 patches d at src + 2m (row stride ld), m < R.
template <class T, int R>
inline void input_tiles(const T* src, int64_t ld, T* out, int64_t s) {
  T t[4][4][R];
  for (int k = 0; k < 4; ++k) {
    T d[4][R];
    for (int a = 0; a < 4; ++a)
      for (int m = 0; m < R; ++m) d[a][m] = src[a * ld + 2 * m + k];
    for (int m = 0; m < R; ++m) {
      t[0][k][m] = d[0][m] - d[2][m];
      t[1][k][m] = d[1][m] + d[2][m];
      t[2][k][m] = d[2][m] - d[1][m];
      t[3][k][m] = d[1][m] - d[3][m];
    }
  }
  for (int a = 0; a < 4; ++a)
    for (int m = 0; m < R; ++m) {
      out[(4 * a + 0) * s + m] = t[a][0][m] - t[a][2][m];
      out[(4 * a + 1) * s + m] = t[a][1][m] + t[a][2][m];
      out[(4 * a + 2) * s + m] = t[a][2][m] - t[a][1][m];
      out[(4 * a + 3) * s + m] = t[a][1][m] - t[a][3][m];
    }
}

// V[xi][c][i] = (B^T d B)[xi] for the 4x4 input patch d of the block's tile i, read from
// the padded input xp; rows of V are TB + kRun long. Channel-outer order keeps the 16 output
// streams sequential.
template <class T>
void input_transform(const T* xp, int64_t C, int64_t Hp, int64_t Wp, const std::vector<Run>& runs,
                     int64_t TB, T* V) {
  const int64_t s = C * (TB + kRun);
  for (int64_t c = 0; c < C; ++c)
    for (const Run& run : runs) {
      const T* src = xp + ((run.n * C + c) * Hp + 2 * run.ti) * Wp + 2 * run.tj;
      T* out = V + c * (TB + kRun) + run.i;
      input_tiles<T, kRun>(src, Wp, out, s);  // lanes past run.len land in later tiles or padding
    }
}

// The 2 x 2R outputs y[r][2m + q] = (A^T m A)[r][q] + bias of R tiles, from their
// transformed products in[xi * s + m].
template <class T, int R>
inline void output_tiles(const T* in, int64_t s, T bias, T (&y)[2][2 * R]) {
  T t[2][4][R];
  for (int k = 0; k < 4; ++k)
    for (int m = 0; m < R; ++m) {
      const T m0 = in[k * s + m], m1 = in[(4 + k) * s + m], m2 = in[(8 + k) * s + m],
              m3 = in[(12 + k) * s + m];
      t[0][k][m] = m0 + m1 + m2;
      t[1][k][m] = m1 - m2 - m3;
    }
  for (int a = 0; a < 2; ++a)
    for (int m = 0; m < R; ++m) {
      y[a][2 * m] = t[a][0][m] + t[a][1][m] + t[a][2][m] + bias;
      y[a][2 * m + 1] = t[a][1][m] - t[a][2][m] - t[a][3][m] + bias;
    }
}

// The rows and columns of a run's 2 x 2*len outputs that lie inside the image.
struct RunWindow {
  int64_t oh, ow, rows, cols;
  RunWindow(const Run& run, const Tiling& g)
      : oh(2 * run.ti), ow(2 * run.tj), rows(std::min<int64_t>(2, g.OH - oh)),
        cols(std::min<int64_t>(2 * run.len, g.OW - ow)) {}
};

// y[n][o][2ti + a][2tj + b] = (A^T m A)[a][b] + bias[o], cropped at the image border. M's
// rows are TB + kRun long, so a run's unused lanes read padding.
template <class T>
void output_transform(const T* M, const T* bias, int64_t O, const Tiling& g,
                      const std::vector<Run>& runs, int64_t TB, T* y) {
  const int64_t plane = g.OH * g.OW, s = O * (TB + kRun);
  for (int64_t o = 0; o < O; ++o) {
    const T b0 = bias ? bias[o] : T(0);
    for (const Run& run : runs) {
      const RunWindow win(run, g);
      T tile[2][2 * kRun];
      output_tiles<T, kRun>(M + o * (TB + kRun) + run.i, s, b0, tile);
      T* dst = y + (run.n * O + o) * plane + win.oh * g.OW + win.ow;
      for (int64_t a = 0; a < win.rows; ++a) std::copy(tile[a], tile[a] + win.cols, dst + a * g.OW);
    }
  }
}

// out[xi * s + m] = (A dY A^T)[xi] for the R 2x2 tiles dY[r][2m + q]: the adjoint of
// output_tiles.
template <class T, int R>
inline void output_grad_tiles(const T (&dy)[2][2 * R], T* out, int64_t s) {
  T t[4][2][R];
  for (int b = 0; b < 2; ++b)
    for (int m = 0; m < R; ++m) {
      const T d0 = dy[0][2 * m + b], d1 = dy[1][2 * m + b];
      t[0][b][m] = d0;
      t[1][b][m] = d0 + d1;
      t[2][b][m] = d0 - d1;
      t[3][b][m] = -d1;
    }
  for (int a = 0; a < 4; ++a)
    for (int m = 0; m < R; ++m) {
      out[(4 * a + 0) * s + m] = t[a][0][m];
      out[(4 * a + 1) * s + m] = t[a][0][m] + t[a][1][m];
      out[(4 * a + 2) * s + m] = t[a][0][m] - t[a][1][m];
      out[(4 * a + 3) * s + m] = -t[a][1][m];
    }
}

// dM[xi][o][i] = (A dY A^T)[xi] for the 2x2 tile dY of the output gradient at the block's
// tile i (zero past the border); rows of dM are TB + kRun long.
template <class T>
void output_adjoint(const T* gy, int64_t O, const Tiling& g, const std::vector<Run>& runs,
                    int64_t TB, T* dM) {
  const int64_t plane = g.OH * g.OW, s = O * (TB + kRun);
  for (int64_t o = 0; o < O; ++o)
    for (const Run& run : runs) {
      const RunWindow win(run, g);
      T tile[2][2 * kRun] = {};
      const T* src = gy + (run.n * O + o) * plane + win.oh * g.OW + win.ow;
      for (int64_t a = 0; a < win.rows; ++a)
        std::copy(src + a * g.OW, src + a * g.OW + win.cols, tile[a]);
      output_grad_tiles<T, kRun>(tile, dM + o * (TB + kRun) + run.i, s);
    }
}

// U[xi][o][c] = (G g G^T)[xi] for each 3x3 kernel g = w[o][c].
template <class T>
void filter_transform(const T* w, int64_t O, int64_t C, T* U) {
  const T h = T(0.5);
  for (int64_t o = 0; o < O; ++o)
    for (int64_t c = 0; c < C; ++c) {
      const T* k = w + (o * C + c) * 9;
      T t[4][3];
      for (int j = 0; j < 3; ++j) {
        t[0][j] = k[j];
        t[1][j] = h * (k[j] + k[3 + j] + k[6 + j]);
        t[2][j] = h * (k[j] - k[3 + j] + k[6 + j]);
        t[3][j] = k[6 + j];
      }
      T* u = U + o * C + c;
      const int64_t s = O * C;
      for (int a = 0; a < 4; ++a) {
        u[(4 * a + 0) * s] = t[a][0];
        u[(4 * a + 1) * s] = h * (t[a][0] + t[a][1] + t[a][2]);
        u[(4 * a + 2) * s] = h * (t[a][0] - t[a][1] + t[a][2]);
        u[(4 * a + 3) * s] = t[a][2];
      }
    }
}

// The adjoint of filter_transform: gw[o][c] = G^T dU[.][o][c] G.
template <class T>
void filter_adjoint(const T* dU, int64_t O, int64_t C, T* gw) {
  const T h = T(0.5);
  const int64_t s = O * C;
  for (int64_t o = 0; o < O; ++o)
    for (int64_t c = 0; c < C; ++c) {
      T u[4][4];
      for (int k = 0; k < kXi; ++k) u[k / 4][k % 4] = dU[k * s + o * C + c];
      T t[3][4];
      for (int b = 0; b < 4; ++b) {
        t[0][b] = u[0][b] + h * (u[1][b] + u[2][b]);
        t[1][b] = h * (u[1][b] - u[2][b]);
        t[2][b] = h * (u[1][b] + u[2][b]) + u[3][b];
      }
      T* k = gw + (o * C + c) * 9;
      for (int i = 0; i < 3; ++i) {
        k[3 * i + 0] = t[i][0] + h * (t[i][1] + t[i][2]);
        k[3 * i + 1] = h * (t[i][1] - t[i][2]);
        k[3 * i + 2] = h * (t[i][1] + t[i][2]) + t[i][3];
      }
    }
}

}  // namespace

bool winograd_applies(const ConvParams& p) {
  const std::array<int64_t, 3> ones{1, 1, 1};
  // Few channels make the 16 GEMMs too thin to beat im2col's single one.
  return p.groups == 1 && p.C >= 8 && p.O >= 8 && p.in[0] == 1 && p.k[0] == 1 && p.k[1] == 3 &&
         p.k[2] == 3 && p.stride == ones && p.dil == ones && p.pad[0] == 0 && p.pad[1] <= 2 &&
         p.pad[2] <= 2;
}

template <class T>
void winograd_conv_forward(const T* x, const T* w, const T* b, T* y, const ConvParams& p) {
  const Tiling g(p);
  const int64_t C = p.C, O = p.O, TB = tile_block(C, O, g.total), blocks = (g.total + TB - 1) / TB;
  Scratch<T> U(kXi * O * C);
  filter_transform(w, O, C, U.data());
  const int64_t Hp = 2 * g.th + 2, Wp = 2 * g.tw + 2 + 2 * kRun;
  Scratch<T> xp(p.N * C * Hp * Wp);
  pad_input(x, p.N * C, g, Hp, Wp, xp.data());
  parallel_for(0, blocks, 1, [&](int64_t bb, int64_t be) {
    const int64_t ld = TB + kRun;
    Scratch<T> V(kXi * C * ld), M(kXi * O * ld);
    for (int64_t blk = bb; blk < be; ++blk) {
      const int64_t t0 = blk * TB, nt = std::min(TB, g.total - t0);
      const auto tiles = tile_runs(g, t0, nt);
      input_transform(xp.data(), C, Hp, Wp, tiles, TB, V.data());
      for (int64_t xi = 0; xi < kXi; ++xi)
        gemm_serial<T>(U.data() + xi * O * C, false, C, V.data() + xi * C * ld, false, ld,
                       M.data() + xi * O * ld, ld, O, nt, C, false);
      output_transform(M.data(), b, O, g, tiles, TB, y);
    }
  });
}

template <class T>
void winograd_conv_backward_input(const T* gy, const T* w, T* gx, const ConvParams& p) {
  // gx is gy correlated with w flipped in space and transposed in channels, padded by 2 - pad.
  ConvParams q = p;
  q.C = p.O;
  q.O = p.C;
  q.in = p.out;
  q.out = p.in;
  q.pad = {0, 2 - p.pad[1], 2 - p.pad[2]};
  Scratch<T> flipped(p.O * p.C * 9);
  for (int64_t o = 0; o < p.O; ++o)
    for (int64_t c = 0; c < p.C; ++c)
      for (int k = 0; k < 9; ++k)
        flipped.data()[(c * p.O + o) * 9 + k] = w[(o * p.C + c) * 9 + 8 - k];
  winograd_conv_forward<T>(gy, flipped.data(), nullptr, gx, q);
}

template <class T>
void winograd_conv_backward_weight(const T* gy, const T* x, T* gw, const ConvParams& p) {
  const Tiling g(p);
  const int64_t C = p.C, O = p.O, TB = tile_block(C, O, g.total), blocks = (g.total + TB - 1) / TB;
  const int64_t threads = std::max<int64_t>(1, std::min<int64_t>(omp_get_max_threads(), blocks));
  const int64_t U_size = kXi * O * C;
  const int64_t Hp = 2 * g.th + 2, Wp = 2 * g.tw + 2 + 2 * kRun;
  Scratch<T> xp(p.N * C * Hp * Wp);
  pad_input(x, p.N * C, g, Hp, Wp, xp.data());
  // per-thread partial sums of the transformed weight gradient
  Scratch<T> dU(threads * U_size);
  parallel_for(0, threads, 1, [&](int64_t tb, int64_t te) {
    const int64_t ld = TB + kRun;
    Scratch<T> V(kXi * C * ld), dM(kXi * O * ld);
    for (int64_t t = tb; t < te; ++t) {
      T* part = dU.data() + t * U_size;
      std::fill(part, part + U_size, T(0));
      for (int64_t blk = blocks * t / threads; blk < blocks * (t + 1) / threads; ++blk) {
        const int64_t t0 = blk * TB, nt = std::min(TB, g.total - t0);
        const auto tiles = tile_runs(g, t0, nt);
        input_transform(xp.data(), C, Hp, Wp, tiles, TB, V.data());
        output_adjoint(gy, O, g, tiles, TB, dM.data());
        for (int64_t xi = 0; xi < kXi; ++xi)
          gemm_serial<T>(dM.data() + xi * O * ld, false, ld, V.data() + xi * C * ld, true, ld,
                         part + xi * O * C, C, O, C, nt, true);
      }
    }
  });
  sum_partials(dU.data(), threads, U_size, U_size, dU.data());
  filter_adjoint(dU.data(), O, C, gw);
}

#define GLIA_WINOGRAD(T)                                                                       \
  template void winograd_conv_forward<T>(const T*, const T*, const T*, T*, const ConvParams&); \
  template void winograd_conv_backward_input<T>(const T*, const T*, T*, const ConvParams&);    \
  template void winograd_conv_backward_weight<T>(const T*, const T*, T*, const ConvParams&);
GLIA_WINOGRAD(float)
GLIA_WINOGRAD(double)
#undef GLIA_WINOGRAD

}  // namespace glia::cpu
