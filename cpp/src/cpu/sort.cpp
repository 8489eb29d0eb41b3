#include "cpu/sort.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "cpu/parallel.h"
#include "dispatch.h"

namespace glia::cpu {

namespace {

// a before b in ascending order: NaN last, as PyTorch
template <class T>
bool ascending(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(a)) return false;
    if (std::isnan(b)) return true;
  }
  return a < b;
}

}  // namespace

void sort_lines(const Tensor& in, ReduceLayout L, int64_t k, bool descending, const Tensor& values,
                const Tensor& indices) {
  dispatch_all(in.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* p = in.data<T>();
    T* v = values.data<T>();
    int64_t* ix = indices.data<int64_t>();
    const int64_t n = L.reduced;
    const int64_t grain = std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(n * 8, 1));
    parallel_for(0, L.outer * L.inner, grain, [&](int64_t b, int64_t e) {
      std::vector<int64_t> order(static_cast<size_t>(n));
      for (int64_t line = b; line < e; ++line) {
        const int64_t o = line / L.inner, j = line % L.inner;
        const T* src = p + o * n * L.inner + j;
        // ties broken by position: a stable order, whichever of the two sorts runs
        auto before = [&](int64_t x, int64_t y) {
          const T a = src[x * L.inner], c = src[y * L.inner];
          if (descending ? ascending(c, a) : ascending(a, c)) return true;
          if (descending ? ascending(a, c) : ascending(c, a)) return false;
          return x < y;
        };
        std::iota(order.begin(), order.end(), int64_t(0));
        if (k < n) std::partial_sort(order.begin(), order.begin() + k, order.end(), before);
        else std::sort(order.begin(), order.end(), before);
        T* vo = v + o * k * L.inner + j;
        int64_t* io = ix + o * k * L.inner + j;
        for (int64_t r = 0; r < k; ++r) {
          vo[r * L.inner] = src[order[size_t(r)] * L.inner];
          io[r * L.inner] = order[size_t(r)];
        }
      }
    });
  });
}

}  // namespace glia::cpu
