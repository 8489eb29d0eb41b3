#pragma once
// The one place glia uses OpenMP: split [begin, end) into chunks over the thread pool
// when the work is large enough to pay for waking threads, or run a team of threads that
// synchronise at barriers.
#include <omp.h>

#include <algorithm>
#include <cstdint>

namespace glia::cpu {

// Elementwise work below this many elements stays on the calling thread.
constexpr int64_t kParallelGrain = 32768;

template <class F>
void parallel_for(int64_t begin, int64_t end, int64_t grain, const F& fn) {
  int64_t n = end - begin;
  if (n <= 0) return;
  int threads = omp_get_max_threads();
  if (threads <= 1 || n <= grain || omp_in_parallel()) {
    fn(begin, end);
    return;
  }
  int64_t chunks = std::min<int64_t>(threads, (n + grain - 1) / grain);
#pragma omp parallel for num_threads(chunks) schedule(static, 1)
  for (int64_t c = 0; c < chunks; ++c) {
    int64_t b = begin + n * c / chunks, e = begin + n * (c + 1) / chunks;
    if (b < e) fn(b, e);
  }
}

// out[i] = parts[i] + parts[stride + i] + ... + parts[(count - 1) * stride + i] for i in
// [0, n): per-thread partial sums added in the same order for every element, so results
// do not depend on timing, with the elements split over the threads. out may be parts.
template <class T>
void sum_partials(const T* parts, int64_t count, int64_t stride, int64_t n, T* out) {
  const int64_t grain = std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(count, 1));
  parallel_for(0, n, grain, [&](int64_t b, int64_t e) {
    if (count == 0) {
      std::fill(out + b, out + e, T(0));
      return;
    }
    if (out != parts) std::copy(parts + b, parts + e, out + b);
    for (int64_t t = 1; t < count; ++t) {
      const T* part = parts + t * stride;
      for (int64_t i = b; i < e; ++i) out[i] += part[i];
    }
  });
}

// The most threads a parallel region may have.
inline int64_t max_threads() { return omp_get_max_threads(); }

// Runs fn(thread, threads) once on each of up to `want` threads (fewer when fewer are
// available; just fn(0, 1) inside another parallel region). With threads > 1, fn may call
// team_barrier(); every thread of the team must reach each barrier.
template <class F>
void parallel_team(int64_t want, const F& fn) {
  const int64_t threads = std::min<int64_t>(want, omp_get_max_threads());
  if (threads <= 1 || omp_in_parallel()) {
    fn(0, 1);
    return;
  }
#pragma omp parallel num_threads(threads)
  fn(omp_get_thread_num(), omp_get_num_threads());
}

// Waits until every thread of the parallel_team calling it gets here.
inline void team_barrier() {
#pragma omp barrier
}

}  // namespace glia::cpu
