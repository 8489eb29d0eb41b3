#include "cpu/rnn.h"

#include <Eigen/Core>
#include <algorithm>
#include <cstring>
#include <optional>

#include "cpu/panel_gemm.h"
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

// How many rows of a batch slice step_gemm runs near peak. Its tiles have up to kTileRows;
// thinner ones have too few independent sums to hide the FMA latency. So slices of fewer
// than 4 rows, or of 7 to 11 (two thin tiles), are slower than the unit split's fuller tiles
// plus a barrier per step; 4 to 6 (one tile) and 12 or more are faster (measured on LSTM
// 128/256/50 with 2 threads, batch 1 to 32: up to 40% apart).
constexpr int64_t kThinRows = 4, kMinRowsPerThread = 2 * kTileRows;
// Below this size of W_hh a barrier per step costs more than each thread reading all of it.
constexpr int64_t kUnitSplitBytes = 128 * 1024;

// The batch rows [b0, b1) and hidden units [u0, u1) one thread owns in a time loop.
struct Slice {
  int64_t b0, b1, u0, u1;
};

// Runs the time loops of all directions as fn(direction, slice, sync, thread) on a team of
// threads (thread < max_threads()). The directions are independent, and so are the
// sequences of a batch: with as many threads
// as directions, each runs one whole, and extra threads share a direction by batch slices,
// which need no synchronisation. When the slices would be too thin or fill their tiles
// badly (see kThinRows), they share the hidden units instead (cut at strip boundaries,
// each thread reading its part of W_hh) for the whole batch, and every step ends at a
// barrier (sync) since the next one reads every unit of the new state. Tiny problems stay on
// one thread.
template <class T, class F>
void over_team(const RnnShape& s, const F& fn) {
  constexpr int64_t W = Panels<T>::W;
  const bool tiny = s.D * s.T * s.B * s.G * s.H * s.H < (int64_t(1) << 18);
  // The split is chosen for the threads there are; the team then has no more of them than
  // it has work for (a thread per batch row, or per strip of units), so none idles at the
  // barriers.
  const int64_t avail = tiny ? 1 : max_threads();
  const int64_t most = (avail + s.D - 1) / s.D;  // the most threads any direction has
  const int64_t rows = (s.B + most - 1) / most;  // the thickest batch slice
  const bool units = avail >= s.D && most > 1 && s.H >= 2 * W &&
                     s.G * s.H * s.H * int64_t(sizeof(T)) >= kUnitSplitBytes &&
                     (rows < kThinRows || (rows > kTileRows && rows < kMinRowsPerThread));
  const int64_t per_direction = std::min(most, units ? s.H / W : s.B);
  parallel_team(avail < s.D ? avail : s.D * per_direction, [&](int64_t t, int64_t n) {
    if (n < s.D) {  // whole directions, one after another
      for (int64_t d = t; d < s.D; d += n) fn(d, Slice{0, s.B, 0, s.H}, false, t);
      return;
    }
    int64_t d = 0;  // direction d has threads [n * d / D, n * (d + 1) / D)
    while (t >= n * (d + 1) / s.D) ++d;
    const int64_t first = n * d / s.D, m = n * (d + 1) / s.D - first, j = t - first;
    if (units) {
      auto cut = [&](int64_t i) { return i == m ? s.H : s.H * i / m / W * W; };
      fn(d, Slice{0, s.B, cut(j), cut(j + 1)}, true, t);  // all or none reach barriers
    } else {
      fn(d, Slice{s.B * j / m, s.B * (j + 1) / m, 0, s.H}, false, t);
    }
  });
}

// Columns [u0, u1) of every gate block of C (M, G*H) (+)= A @ B for the first `rows` rows
// of the slice: the gate pre-activations of a slice of hidden units.
template <class T>
void gate_gemm(const RnnShape& s, const Slice& sl, int64_t rows, const T* A, const Panels<T>& P,
               T* C) {
  if (sl.u0 == 0 && sl.u1 == s.H) {
    step_gemm<T>(A, s.H, P, C, s.G * s.H, rows, false, 0, s.G * s.H);
    return;
  }
  for (int64_t q = 0; q < s.G; ++q)
    step_gemm<T>(A, s.H, P, C, s.G * s.H, rows, false, q * s.H + sl.u0, q * s.H + sl.u1);
}

// How many of the rows [b0, b1) a step's products need: up to the last sequence still
// running at step t. Packed batches are sorted longest first, so padded rows then cost nothing.
int64_t active_rows(const RnnShape& s, int64_t t, int64_t b0, int64_t b1) {
  int64_t end = b1;
  while (end > b0 && !active(s, t, end - 1)) --end;
  return end - b0;
}

// Whether step t is sequence b's first: step 0, or its last valid step in reverse.
bool first_step(const RnnShape& s, bool reverse, int64_t t, int64_t b) {
  return t == (reverse ? (s.lengths ? s.lengths[b] : s.T) - 1 : 0);
}

// The state before step t is hs[t] going forward and hs[t + 1] in reverse.
int64_t prev_index(bool reverse, int64_t t) { return reverse ? t + 1 : t; }
int64_t next_index(bool reverse, int64_t t) { return reverse ? t : t + 1; }

// One step of one sequence for n hidden units. Every pointer starts at the slice's first
// unit; gate blocks are H apart. g: the step's gate row (x W_ih^T in, activations out), hh:
// the recurrent GEMM row h_prev W_hh^T, without b_hh. b_x and hh are added to g; b_hh too,
// except for GRU's n gate, which adds r * (hh + b_hh) instead.
// aux receives what the backward needs besides the gates (see RnnDirection::aux).
template <class T>
void cell_forward(const RnnShape& s, int64_t n, T* g, const T* hh, const T* b_x, const T* b_hh,
                  const T* h_prev, const T* c_prev, T* h_new, T* c_new, T* aux) {
  const int64_t H = s.H;
  auto gate = [&](int64_t q, bool with_hh) {  // g's block q with its biases (and hh) added
    Vec<T> v(g + q * H, n);
    if (b_x) v += CVec<T>(b_x + q * H, n);
    if (with_hh) {
      v += CVec<T>(hh + q * H, n);
      if (b_hh) v += CVec<T>(b_hh + q * H, n);
    }
    return v;
  };
  switch (s.mode) {
    case RnnMode::Tanh: Vec<T>(h_new, n) = gate(0, true).tanh(); break;
    case RnnMode::Relu: Vec<T>(h_new, n) = gate(0, true).max(T(0)); break;
    case RnnMode::Lstm: {
      // each gate's sum and activation in one pass (the op passes the biases summed in b_x)
      for (int64_t q = 0; q < 4 && b_hh; ++q) Vec<T>(g + q * H, n) += CVec<T>(b_hh + q * H, n);
      Vec<T> i(g, n), f(g + H, n), gg(g + 2 * H, n), o(g + 3 * H, n);
      auto pre = [&](int64_t q) { return CVec<T>(g + q * H, n) + CVec<T>(hh + q * H, n); };
      if (b_x) {
        auto bias = [&](int64_t q) { return CVec<T>(b_x + q * H, n); };
        i = (pre(0) + bias(0)).logistic();
        f = (pre(1) + bias(1)).logistic();
        gg = (pre(2) + bias(2)).tanh();
        o = (pre(3) + bias(3)).logistic();
      } else {
        i = pre(0).logistic();
        f = pre(1).logistic();
        gg = pre(2).tanh();
        o = pre(3).logistic();
      }
      Vec<T> c(c_new, n), tc(aux, n);
      c = f * CVec<T>(c_prev, n) + i * gg;
      tc = c.tanh();
      Vec<T>(h_new, n) = o * tc;
      break;
    }
    case RnnMode::Gru: {
      Vec<T> r = gate(0, true), z = gate(1, true), nn = gate(2, false), hn_row(aux, n);
      hn_row = CVec<T>(hh + 2 * H, n);
      if (b_hh) hn_row += CVec<T>(b_hh + 2 * H, n);
      r = r.logistic();
      z = z.logistic();
      nn = (nn + r * hn_row).tanh();
      Vec<T>(h_new, n) = nn + z * (CVec<T>(h_prev, n) - nn);
      break;
    }
  }
}

// The gradient through one step of one sequence for n hidden units, pointers as in
// cell_forward: writes the pre-activation gradients and sets dh to the part of dh_prev that
// bypasses W_hh (GRU's z * dh; zero otherwise) and dc to dc_prev. tmp holds n values.
template <class T>
void cell_backward(const RnnShape& s, int64_t n, const T* g, const T* h_prev, const T* h_new,
                   const T* c_prev, const T* aux, const T* d_out, T* dh, T* dc, T* dgi, T* dgh,
                   T* tmp) {
  const int64_t H = s.H;
  Vec<T> dht(tmp, n);
  dht = CVec<T>(dh, n) + CVec<T>(d_out, n);
  switch (s.mode) {
    case RnnMode::Tanh: {
      CVec<T> h(h_new, n);
      Vec<T>(dgi, n) = dht * (T(1) - h * h);
      Vec<T>(dh, n).setZero();
      break;
    }
    case RnnMode::Relu: {
      CVec<T> h(h_new, n);
      Vec<T>(dgi, n) = (h > T(0)).select(dht, T(0));
      Vec<T>(dh, n).setZero();
      break;
    }
    case RnnMode::Lstm: {
      CVec<T> i(g, n), f(g + H, n), gg(g + 2 * H, n), o(g + 3 * H, n), tc(aux, n);
      Vec<T> dct(dc, n);  // becomes the cell gradient at this step, then dc_prev
      dct += dht * o * (T(1) - tc * tc);
      Vec<T>(dgi, n) = dct * gg * i * (T(1) - i);
      Vec<T>(dgi + H, n) = dct * CVec<T>(c_prev, n) * f * (T(1) - f);
      Vec<T>(dgi + 2 * H, n) = dct * i * (T(1) - gg * gg);
      Vec<T>(dgi + 3 * H, n) = dht * tc * o * (T(1) - o);
      dct *= f;
      Vec<T>(dh, n).setZero();
      break;
    }
    case RnnMode::Gru: {
      CVec<T> r(g, n), z(g + H, n), nn(g + 2 * H, n), hp(h_prev, n), hn_row(aux, n);
      Vec<T> dn(dgi + 2 * H, n);
      dn = dht * (T(1) - z) * (T(1) - nn * nn);
      Vec<T>(dgi + H, n) = dht * (hp - nn) * z * (T(1) - z);
      Vec<T>(dgi, n) = dn * hn_row * r * (T(1) - r);
      Vec<T>(dgh, n) = CVec<T>(dgi, n);
      Vec<T>(dgh + H, n) = CVec<T>(dgi + H, n);
      Vec<T>(dgh + 2 * H, n) = dn * r;
      Vec<T>(dh, n) = dht * z;
      break;
    }
  }
}

}  // namespace

template <class T>
void input_projection(const T* x, int64_t rows, int64_t I, const T* w_ih, int64_t GH, T* out) {
  // Blocks of 12 rows (two 6-row tiles, their inputs in L1) against the panels of W_ih^T: like
  // a BLAS call without packing x or clearing out first. The work items are (row block,
  // column chunk) pairs, so that a few rows still spread over the threads.
  constexpr int64_t kRows = 2 * kTileRows, kCols = 16 * Panels<T>::W;
  Panels<T> P(w_ih, I, true, I, GH);
  const int64_t chunks = (GH + kCols - 1) / kCols;
  parallel_for(0, (rows + kRows - 1) / kRows * chunks, 1, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      const int64_t r0 = i / chunks * kRows, c0 = i % chunks * kCols;
      step_gemm<T>(x + r0 * I, I, P, out + r0 * GH, GH, std::min(kRows, rows - r0), false, c0,
                   std::min(GH, c0 + kCols));
    }
  });
}

template <class T>
void rnn_forward(const RnnShape& s, const RnnDirection<T>* dirs, T* out) {
  const int64_t B = s.B, H = s.H, GH = s.G * s.H, DH = s.D * s.H;
  std::optional<Panels<T>> w[2];  // W_hh^T of each direction, for the steps after the first
  for (int64_t d = 0; d < s.D && s.T > 1; ++d) w[d].emplace(dirs[d].w_hh, H, true, H, GH);
  over_team<T>(s, [&](int64_t d, const Slice& sl, bool sync, int64_t) {
    const RnnDirection<T>& r = dirs[d];
    const bool reverse = d == 1;
    const int64_t b0 = sl.b0, u0 = sl.u0, n = sl.u1 - sl.u0;
    // h_prev W_hh^T of the slice's rows: written here and read by the cells while in cache
    // (adding it into the gates instead would read each gate row from memory once more)
    Scratch<T> hh(size_t((sl.b1 - b0) * GH));
    for (int64_t k = 0; k < s.T; ++k) {
      const int64_t t = reverse ? s.T - 1 - k : k;
      const int64_t p = prev_index(reverse, t) * B * H, q = next_index(reverse, t) * B * H;
      T *hs = r.hs, *cs = r.cs;
      // the step's h_prev W_hh^T, row b0 first; a sequence's first step takes hh0's row
      if (k > 0)
        gate_gemm<T>(s, sl, active_rows(s, t, b0, sl.b1), hs + p + b0 * H, *w[d], hh.data());
      else if (!r.hh0)  // h0 = 0
        std::fill(hh.data(), hh.data() + (sl.b1 - b0) * GH, T(0));
      for (int64_t b = b0; b < sl.b1; ++b) {
        const int64_t i = b * H + u0;  // this row's slice of a (B, H) state
        T* o = out + (t * B + b) * DH + d * H + u0;
        if (!active(s, t, b)) {  // a padded step: the state carries over, the output is zero
          std::copy(hs + p + i, hs + p + i + n, hs + q + i);
          if (cs) std::copy(cs + p + i, cs + p + i + n, cs + q + i);
          std::fill(o, o + n, T(0));
          continue;
        }
        cell_forward<T>(s, n, r.gates + (t * B + b) * GH + u0,
                        (r.hh0 && first_step(s, reverse, t, b) ? r.hh0 + b * GH
                                                               : hh.data() + (b - b0) * GH) + u0,
                        r.b_x ? r.b_x + u0 : nullptr, r.b_hh ? r.b_hh + u0 : nullptr, hs + p + i,
                        cs ? cs + p + i : nullptr, hs + q + i, cs ? cs + q + i : nullptr,
                        r.aux ? r.aux + t * B * H + i : nullptr);
        std::copy(hs + q + i, hs + q + i + n, o);
      }
      if (sync) team_barrier();  // the next step reads every unit of this one's state
    }
  });
}

template <class T>
void rnn_backward(const RnnShape& s, const RnnDirection<T>* dirs, const T* d_out) {
  const int64_t B = s.B, H = s.H, GH = s.G * s.H, DH = s.D * s.H;
  std::optional<Panels<T>> w[2];  // W_hh of each direction, for the steps after the first
  for (int64_t d = 0; d < s.D && s.T > 1; ++d) w[d].emplace(dirs[d].w_hh, H, false, GH, H);
  // Each thread sums its rows' bias gradients [dbi | dbh] while they are in cache; the
  // threads' sums are added in a fixed order after the loop, so results do not depend on timing.
  const int64_t slots = max_threads();
  Scratch<T> bias_sums(size_t(s.D * slots * 2 * GH));
  std::fill(bias_sums.data(), bias_sums.data() + s.D * slots * 2 * GH, T(0));
  over_team<T>(s, [&](int64_t d, const Slice& sl, bool sync, int64_t thread) {
    const RnnDirection<T>& r = dirs[d];
    const bool reverse = d == 1;
    T* dg_hidden = r.dgh ? r.dgh : r.dgi;  // what flows back through W_hh
    T* db = bias_sums.data() + (d * slots + thread) * 2 * GH + sl.u0;
    const int64_t b0 = sl.b0, u0 = sl.u0, n = sl.u1 - sl.u0;
    Scratch<T> tmp(size_t(std::max<int64_t>(n, 1)));
    for (int64_t k = 0; k < s.T; ++k) {
      const int64_t t = reverse ? k : s.T - 1 - k;
      const int64_t p = prev_index(reverse, t) * B * H, q = next_index(reverse, t) * B * H;
      for (int64_t b = b0; b < sl.b1; ++b) {
        const int64_t row = (t * B + b) * GH + u0, i = b * H + u0;
        if (!active(s, t, b)) {  // padded: no gradient, dh and dc pass through unchanged
          for (int64_t g = 0; g < s.G; ++g) {
            std::fill(r.dgi + row + g * H, r.dgi + row + g * H + n, T(0));
            if (r.dgh) std::fill(r.dgh + row + g * H, r.dgh + row + g * H + n, T(0));
          }
          continue;
        }
        cell_backward<T>(s, n, r.gates + row, r.hs + p + i, r.hs + q + i,
                         r.cs ? r.cs + p + i : nullptr, r.aux ? r.aux + t * B * H + i : nullptr,
                         d_out + (t * B + b) * DH + d * H + u0,
                         r.dh + i, r.dc ? r.dc + i : nullptr, r.dgi + row,
                         r.dgh ? r.dgh + row : nullptr, tmp.data());
        for (int64_t g = 0; g < s.G; ++g) {  // only the wanted bias gradients
          if (r.dbi) Vec<T>(db + g * H, n) += CVec<T>(r.dgi + row + g * H, n);
          if (r.dbh) Vec<T>(db + GH + g * H, n) += CVec<T>(r.dgh + row + g * H, n);
        }
      }
      if (sync) team_barrier();  // the product below reads every unit's gate gradients
      if (k == s.T - 1) break;  // the initial state's product is the op's
      // dh_prev += dG W_hh; padded rows have dG = 0 and keep their dh.
      step_gemm<T>(dg_hidden + (t * B + b0) * GH, GH, *w[d], r.dh + b0 * H, H,
                   active_rows(s, t, b0, sl.b1), true, u0, sl.u1);
    }
  });
  for (int64_t d = 0; d < s.D; ++d) {
    const RnnDirection<T>& r = dirs[d];
    for (T* out : {r.dbi, r.dbh}) {
      if (!out) continue;
      const int64_t half = out == r.dbi ? 0 : GH;
      sum_partials(bias_sums.data() + d * slots * 2 * GH + half, slots, 2 * GH, GH, out);
    }
  }
}

template void input_projection<float>(const float*, int64_t, int64_t, const float*, int64_t,
                                      float*);
template void input_projection<double>(const double*, int64_t, int64_t, const double*, int64_t,
                                       double*);
template void rnn_forward<float>(const RnnShape&, const RnnDirection<float>*, float*);
template void rnn_forward<double>(const RnnShape&, const RnnDirection<double>*, double*);
template void rnn_backward<float>(const RnnShape&, const RnnDirection<float>*, const float*);
template void rnn_backward<double>(const RnnShape&, const RnnDirection<double>*, const double*);

}  // namespace glia::cpu
