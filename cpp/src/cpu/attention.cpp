#include "cpu/attention.h"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <limits>

#include "cpu/exp.h"
#include "cpu/linalg.h"
#include "cpu/parallel.h"
#include "cpu/scratch.h"

namespace glia::cpu {

namespace {

// Query rows and keys per block: a (64, 128) score block stays in L1/L2 next to its operands.
constexpr int64_t kBlockQ = 128;  // the most query rows per block (buffer sizes)
constexpr int64_t kBlockK = 256;

template <class T>
using ArrayMap = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;

template <class T>
constexpr T neg_inf() {
  return -std::numeric_limits<T>::infinity();
}

// Scores of query rows [i0, i0 + nq) against keys [j0, j0 + nk) into s (nq, nk):
// qs k^T + mask, where qs holds the block's query rows already multiplied by the scale (so
// no pass over the scores scales them), with keys after the query's own position set to
// -inf when causal. Writes, per row, how many leading keys are visible.
template <class T>
void score_block(const AttentionParams& p, int64_t b, const T* qs, int64_t ldq, const T* k,
                 const T* mask, int64_t i0, int64_t nq, int64_t j0, int64_t nk, T* s,
                 int64_t* visible) {
  gemm_serial<T>(qs, false, ldq, k + p.k_off[b] + j0 * p.k_ld, true, p.k_ld, s, nk, nq, nk, p.E,
                 false);
  for (int64_t r = 0; r < nq; ++r) {
    T* row = s + r * nk;
    int64_t n = nk;
    if (p.causal) n = std::clamp<int64_t>(i0 + r - j0 + 1, 0, nk);
    visible[r] = n;
    if (mask) {
      const T* m = mask + p.m_off[b] + (i0 + r) * p.m_row + j0 * p.m_col;
      if (p.m_col == 1) {
        ArrayMap<T>(row, n) += Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>(m, n);
      } else {
        for (int64_t c = 0; c < n; ++c) row[c] += m[c * p.m_col];
      }
    }
    std::fill(row + n, row + nk, neg_inf<T>());
  }
}

// rows x E block of q (row stride ld) times the scale into contiguous dst.
template <class T>
void scaled_rows(const T* q, int64_t ld, int64_t rows, int64_t E, T scale, T* dst) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < E; ++c) dst[r * E + c] = q[r * ld + c] * scale;
}

// Query rows per block: causal problems use half blocks, so that the blocks above the
// diagonal (all -inf) are skipped at a finer grain.
int64_t block_q(const AttentionParams& p) { return p.causal ? kBlockQ / 2 : kBlockQ; }

// How far queries [i0, i1) look: all keys, or keys up to i1 - 1 when causal.
int64_t key_end(const AttentionParams& p, int64_t i1) {
  return p.causal ? std::min(p.S, i1) : p.S;
}

}  // namespace

template <class T>
void attention_forward(const AttentionParams& p, const T* q, const T* k, const T* v,
                       const T* mask, T* out, T* lse) {
  const int64_t bq = block_q(p), qblocks = (p.L + bq - 1) / bq, tasks = p.batch * qblocks;
  // Small problems stay on one thread: waking the pool costs more than the work.
  const int64_t task_work = std::min(bq, p.L) * p.S * (p.E + p.Ev);
  const int64_t grain = std::max<int64_t>(1, (int64_t(1) << 17) / std::max<int64_t>(task_work, 1));
  parallel_for(0, tasks, grain, [&](int64_t t0, int64_t t1) {
    Scratch<T> s_buf(kBlockQ * kBlockK), acc_buf(kBlockQ * std::max<int64_t>(p.Ev, 1)),
        q_buf(kBlockQ * std::max<int64_t>(p.E, 1));
    T m[kBlockQ], l[kBlockQ];
    int64_t visible[kBlockQ];
    T* s = s_buf.data();
    T* acc = acc_buf.data();
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t b = t / qblocks, i0 = (t % qblocks) * bq;
      const int64_t nq = std::min(bq, p.L - i0), kend = key_end(p, i0 + nq);
      std::fill(m, m + nq, neg_inf<T>());
      std::fill(l, l + nq, T(0));
      std::fill(acc, acc + nq * p.Ev, T(0));
      scaled_rows(q + p.q_off[b] + i0 * p.q_ld, p.q_ld, nq, p.E, T(p.scale), q_buf.data());
      for (int64_t j0 = 0; j0 < kend; j0 += kBlockK) {
        const int64_t nk = std::min(kBlockK, kend - j0);
        score_block(p, b, q_buf.data(), p.E, k, mask, i0, nq, j0, nk, s, visible);
        for (int64_t r = 0; r < nq; ++r) {
          T* row = s + r * nk;
          const int64_t n = visible[r];
          const T mx = n ? ArrayMap<T>(row, n).maxCoeff() : neg_inf<T>();
          const T mnew = std::max(m[r], mx);
          if (mnew == neg_inf<T>()) {  // nothing visible yet: this block adds nothing
            std::fill(row, row + nk, T(0));
            continue;
          }
          exp_exact(row, mnew, row, n);  // masked -inf scores give exactly 0
          ArrayMap<T> vis(row, n);
          std::fill(row + n, row + nk, T(0));
          const T alpha = std::exp(m[r] - mnew);  // rescales what earlier blocks summed
          l[r] = l[r] * alpha + vis.sum();
          if (alpha != T(1)) ArrayMap<T>(acc + r * p.Ev, p.Ev) *= alpha;
          m[r] = mnew;
        }
        gemm_serial<T>(s, false, nk, v + p.v_off[b] + j0 * p.v_ld, false, p.v_ld, acc, p.Ev, nq,
                       p.Ev, nk, true);
      }
      for (int64_t r = 0; r < nq; ++r) {
        T* o = out + (b * p.L + i0 + r) * p.Ev;
        const bool seen = l[r] > T(0);
        const T inv = seen ? T(1) / l[r] : T(0);
        for (int64_t c = 0; c < p.Ev; ++c) o[c] = acc[r * p.Ev + c] * inv;
        lse[b * p.L + i0 + r] = seen ? m[r] + std::log(l[r]) : neg_inf<T>();
      }
    }
  });
}

namespace {

// Everything one backward block needs, shared by the task layouts below.
template <class T>
struct BackwardInputs {
  const AttentionParams& p;
  const T *qs, *k, *v, *mask, *lse, *D, *gout;  // qs = scale * q, (batch, L, E) contiguous
};

// For query rows [i0, i0 + nq) and keys [j0, j0 + nk): the probabilities P = exp(scores -
// lse) into s (0 where a row sees nothing) and dS = P * (dO v^T - D), the gradient of the
// scaled scores, into ds.
template <class T>
void grad_scores_block(const BackwardInputs<T>& in, int64_t b, int64_t i0, int64_t nq,
                       int64_t j0, int64_t nk, T* s, T* ds, int64_t* visible) {
  const AttentionParams& p = in.p;
  score_block(p, b, in.qs + (b * p.L + i0) * p.E, p.E, in.k, in.mask, i0, nq, j0, nk, s,
              visible);
  for (int64_t r = 0; r < nq; ++r) {
    T* row = s + r * nk;
    const T m = in.lse[b * p.L + i0 + r];
    const int64_t n = m == neg_inf<T>() ? 0 : visible[r];
    exp_exact(row, m, row, n);
    std::fill(row + n, row + nk, T(0));
  }
  gemm_serial<T>(in.gout + (b * p.L + i0) * p.Ev, false, p.Ev, in.v + p.v_off[b] + j0 * p.v_ld,
                 true, p.v_ld, ds, nk, nq, nk, p.Ev, false);
  for (int64_t r = 0; r < nq; ++r) {
    ArrayMap<T> pr(s + r * nk, nk), dr(ds + r * nk, nk);
    dr = pr * (dr - in.D[b * p.L + i0 + r]);
  }
}

// First query block that sees any of the keys from j0 on (all of them unless causal).
int64_t first_query_block(const AttentionParams& p, int64_t j0) {
  return p.causal ? (j0 / block_q(p)) * block_q(p) : 0;
}

// dk, dv for keys [j0, j0 + nk) (and, with gq_b, the matching dq terms) over all queries.
template <class T>
void grad_key_block(const BackwardInputs<T>& in, int64_t b, int64_t j0, int64_t nk, T* gk_b,
                    T* gv_b, T* gq_b, T* s, T* ds, int64_t* visible) {
  const AttentionParams& p = in.p;
  const int64_t bq = block_q(p);
  for (int64_t i0 = first_query_block(p, j0); i0 < p.L; i0 += bq) {
    const int64_t nq = std::min(bq, p.L - i0);
    // causal: keys past the block's last query get no probability; leave them out
    const int64_t n = p.causal ? std::min(nk, i0 + nq - j0) : nk;
    if (n <= 0) continue;
    grad_scores_block(in, b, i0, nq, j0, n, s, ds, visible);
    // dv_j += P^T dO_i; dk_j += dS^T (scale q_i); dq_i += dS k_j (scaled at the end)
    gemm_serial<T>(s, true, n, in.gout + (b * p.L + i0) * p.Ev, false, p.Ev, gv_b + j0 * p.Ev,
                   p.Ev, n, p.Ev, nq, true);
    gemm_serial<T>(ds, true, n, in.qs + (b * p.L + i0) * p.E, false, p.E, gk_b + j0 * p.E, p.E,
                   n, p.E, nq, true);
    if (gq_b)
      gemm_serial<T>(ds, false, n, in.k + p.k_off[b] + j0 * p.k_ld, false, p.k_ld,
                     gq_b + i0 * p.E, p.E, nq, p.E, n, true);
  }
}

}  // namespace

template <class T>
void attention_backward(const AttentionParams& p, const T* q, const T* k, const T* v,
                        const T* mask, const T* out, const T* lse, const T* gout, T* gq, T* gk,
                        T* gv) {
  const int64_t rows = p.batch * p.L;
  Scratch<T> qs_buf(std::max<int64_t>(rows * p.E, 1)), d_buf(std::max<int64_t>(rows, 1));
  T *qs = qs_buf.data(), *D = d_buf.data();
  // scale * q (scores straight from the GEMM; dk = dS^T qs) and D_l = sum_c dO[l, c] out[l, c]
  parallel_for(0, rows, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(p.E + p.Ev, 1)),
               [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t b = r / p.L, l = r % p.L;
      scaled_rows(q + p.q_off[b] + l * p.q_ld, p.q_ld, 1, p.E, T(p.scale), qs + r * p.E);
      T d = 0;
      for (int64_t c = 0; c < p.Ev; ++c) d += out[r * p.Ev + c] * gout[r * p.Ev + c];
      D[r] = d;
    }
  });
  std::fill(gq, gq + rows * p.E, T(0));
  std::fill(gk, gk + p.batch * p.S * p.E, T(0));
  std::fill(gv, gv + p.batch * p.S * p.Ev, T(0));
  const BackwardInputs<T> in{p, qs, k, v, mask, lse, D, gout};
  const int64_t kblocks = (p.S + kBlockK - 1) / kBlockK, bq = block_q(p),
                qblocks = (p.L + bq - 1) / bq;
  const int64_t grain = std::max<int64_t>(
      1, (int64_t(1) << 17) / std::max<int64_t>(p.L * p.S * (p.E + p.Ev), 1));
  if (p.batch >= get_num_threads() || kblocks * qblocks == 1) {
    // One task per problem: it owns its dq, dk, dv, so one pass accumulates all three.
    parallel_for(0, p.batch, grain, [&](int64_t b0, int64_t b1) {
      Scratch<T> s(kBlockQ * kBlockK), ds(kBlockQ * kBlockK);
      int64_t visible[kBlockQ];
      for (int64_t b = b0; b < b1; ++b)
        for (int64_t j0 = 0; j0 < p.S; j0 += kBlockK)
          grad_key_block(in, b, j0, std::min(kBlockK, p.S - j0), gk + b * p.S * p.E,
                         gv + b * p.S * p.Ev, gq + b * p.L * p.E, s.data(), ds.data(), visible);
    });
  } else {
    // Fewer problems than threads: dk/dv per key block, then dq per query block (two
    // passes, recomputing the probabilities, so no two tasks write the same rows).
    parallel_for(0, p.batch * kblocks, 1, [&](int64_t t0, int64_t t1) {
      Scratch<T> s(kBlockQ * kBlockK), ds(kBlockQ * kBlockK);
      int64_t visible[kBlockQ];
      for (int64_t t = t0; t < t1; ++t) {
        const int64_t b = t / kblocks, j0 = (t % kblocks) * kBlockK;
        grad_key_block(in, b, j0, std::min(kBlockK, p.S - j0), gk + b * p.S * p.E,
                       gv + b * p.S * p.Ev, static_cast<T*>(nullptr), s.data(), ds.data(),
                       visible);
      }
    });
    parallel_for(0, p.batch * qblocks, 1, [&](int64_t t0, int64_t t1) {
      Scratch<T> s(kBlockQ * kBlockK), ds(kBlockQ * kBlockK);
      int64_t visible[kBlockQ];
      for (int64_t t = t0; t < t1; ++t) {
        const int64_t b = t / qblocks, i0 = (t % qblocks) * bq;
        const int64_t nq = std::min(bq, p.L - i0), kend = key_end(p, i0 + nq);
        for (int64_t j0 = 0; j0 < kend; j0 += kBlockK) {
          const int64_t nk = std::min(kBlockK, kend - j0);
          grad_scores_block(in, b, i0, nq, j0, nk, s.data(), ds.data(), visible);
          gemm_serial<T>(ds.data(), false, nk, k + p.k_off[b] + j0 * p.k_ld, false, p.k_ld,
                         gq + (b * p.L + i0) * p.E, p.E, nq, p.E, nk, true);
        }
      }
    });
  }
  ArrayMap<T>(gq, rows * p.E) *= T(p.scale);
}

template void attention_forward<float>(const AttentionParams&, const float*, const float*,
                                       const float*, const float*, float*, float*);
template void attention_forward<double>(const AttentionParams&, const double*, const double*,
                                        const double*, const double*, double*, double*);
template void attention_backward<float>(const AttentionParams&, const float*, const float*,
                                        const float*, const float*, const float*, const float*,
                                        const float*, float*, float*, float*);
template void attention_backward<double>(const AttentionParams&, const double*, const double*,
                                         const double*, const double*, const double*,
                                         const double*, const double*, double*, double*, double*);

}  // namespace glia::cpu
