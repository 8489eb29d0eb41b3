#pragma once
// Walks N strided operands over one shape, calling inner(n, offsets, inner_strides) for
// runs along the innermost (coalesced) dim. Offsets and strides are in elements.
#include <array>
#include <cstdint>
#include <vector>

#include "cpu/parallel.h"
#include "glia/tensor.h"

namespace glia::cpu {

template <size_t N>
struct Geometry {
  Shape shape;
  std::array<Shape, N> strides;
};

// Drops size-1 dims and merges dims that are contiguous in every operand.
template <size_t N>
Geometry<N> coalesce(const Shape& shape, const std::array<const Shape*, N>& strides) {
  Geometry<N> g;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    if (!g.shape.empty()) {
      bool mergeable = true;
      for (size_t k = 0; k < N; ++k)
        if (g.strides[k].back() != (*strides[k])[d] * shape[d]) mergeable = false;
      if (mergeable) {
        g.shape.back() *= shape[d];
        for (size_t k = 0; k < N; ++k) g.strides[k].back() = (*strides[k])[d];
        continue;
      }
    }
    g.shape.push_back(shape[d]);
    for (size_t k = 0; k < N; ++k) g.strides[k].push_back((*strides[k])[d]);
  }
  return g;
}

template <size_t N, class F>
void strided_for(const Shape& shape, const std::array<const Shape*, N>& strides, const F& inner,
                 int64_t grain = kParallelGrain) {
  Geometry<N> g = coalesce<N>(shape, strides);
  std::array<int64_t, N> zero{};
  if (g.shape.empty()) {
    for (int64_t s : shape)
      if (s == 0) return;
    inner(int64_t(1), zero.data(), zero.data());
    return;
  }
  const int64_t nd = static_cast<int64_t>(g.shape.size());
  const int64_t inner_n = g.shape[nd - 1];
  std::array<int64_t, N> inner_st;
  for (size_t k = 0; k < N; ++k) inner_st[k] = g.strides[k][nd - 1];
  int64_t outer = 1;
  for (int64_t d = 0; d < nd - 1; ++d) outer *= g.shape[d];
  if (outer == 0 || inner_n == 0) return;
  if (nd == 1) {  // one run (contiguous operands coalesce to it): split it over the threads
    parallel_for(0, inner_n, grain, [&](int64_t b, int64_t e) {
      std::array<int64_t, N> off;
      for (size_t k = 0; k < N; ++k) off[k] = b * inner_st[k];
      inner(e - b, off.data(), inner_st.data());
    });
    return;
  }
  int64_t outer_grain = std::max<int64_t>(1, grain / inner_n);
  parallel_for(0, outer, outer_grain, [&](int64_t b, int64_t e) {
    // odometer for the outer dims, started at linear index b
    std::vector<int64_t> idx(nd > 1 ? nd - 1 : 1, 0);
    std::array<int64_t, N> off{};
    int64_t rem = b;
    for (int64_t d = nd - 2; d >= 0; --d) {
      idx[d] = rem % g.shape[d];
      rem /= g.shape[d];
      for (size_t k = 0; k < N; ++k) off[k] += idx[d] * g.strides[k][d];
    }
    for (int64_t o = b; o < e; ++o) {
      inner(inner_n, off.data(), inner_st.data());
      for (int64_t d = nd - 2; d >= 0; --d) {
        ++idx[d];
        for (size_t k = 0; k < N; ++k) off[k] += g.strides[k][d];
        if (idx[d] < g.shape[d]) break;
        for (size_t k = 0; k < N; ++k) off[k] -= g.strides[k][d] * g.shape[d];
        idx[d] = 0;
      }
    }
  });
}

// Strides of `t` seen through `shape` (NumPy broadcasting: size-1 and missing dims get 0).
inline Shape broadcast_strides(const Tensor& t, const Shape& shape) {
  Shape st(shape.size(), 0);
  int64_t lead = static_cast<int64_t>(shape.size()) - t.dim();
  for (int64_t d = 0; d < t.dim(); ++d)
    st[lead + d] = t.shape()[d] == 1 ? 0 : t.strides()[d];
  return st;
}

}  // namespace glia::cpu
