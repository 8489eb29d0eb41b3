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
