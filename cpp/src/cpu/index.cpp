#include "cpu/index.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include "cpu/parallel.h"
#include "dispatch.h"

namespace glia::cpu {

void index_select(const Tensor& src, int64_t outer, int64_t n, int64_t inner, const Tensor& index,
                  const Tensor& out) {
  const int64_t* idx = index.data<int64_t>();
  const int64_t m = index.numel();
  const size_t isz = itemsize(src.dtype());
  const char* s = static_cast<const char*>(src.data_ptr());
  char* o = static_cast<char*>(out.data_ptr());
  if (inner == 1) {  // gathering single elements (the last dim): typed loads, not a memcpy each
    auto gather = [&](auto zero) {
      using E = decltype(zero);
      const E* se = reinterpret_cast<const E*>(s);
      E* oe = reinterpret_cast<E*>(o);
      parallel_for(0, outer, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(m, 1)),
                   [&](int64_t b, int64_t e) {
                     for (int64_t q = b; q < e; ++q)
                       for (int64_t i = 0; i < m; ++i) oe[q * m + i] = se[q * n + idx[i]];
                   });
    };
    if (isz == 8) return gather(uint64_t(0));
    if (isz == 4) return gather(uint32_t(0));
    if (isz == 1) return gather(uint8_t(0));
  }
  parallel_for(0, outer * m, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(inner, 1)),
               [&](int64_t b, int64_t e) {
                 for (int64_t k = b; k < e; ++k) {
                   int64_t q = k / m, i = k % m;
                   std::memcpy(o + (q * m + i) * inner * isz, s + (q * n + idx[i]) * inner * isz,
                               inner * isz);
                 }
               });
}

void index_add(const Tensor& dst, int64_t outer, int64_t n, int64_t inner, const Tensor& index,
               const Tensor& src) {
  dispatch_numeric(dst.dtype(), "index_add", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const int64_t* idx = index.data<int64_t>();
    const int64_t m = index.numel();
    T* d = dst.data<T>();
    const T* s = src.data<T>();
    // rows of one `outer` slab may repeat an index, so threads split the outer dim only
    parallel_for(0, outer, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(m * inner, 1)),
                 [&](int64_t b, int64_t e) {
                   for (int64_t q = b; q < e; ++q)
                     for (int64_t i = 0; i < m; ++i) {
                       T* dr = d + (q * n + idx[i]) * inner;
                       const T* sr = s + (q * m + i) * inner;
                       for (int64_t j = 0; j < inner; ++j) dr[j] += sr[j];
                     }
                 });
  });
}

namespace {

// Calls fn(linear position in index, offset in the other tensor without `dim`) for each
// element of a contiguous `index`, given the other tensor's contiguous strides.
template <class F>
void walk_index(const Tensor& index, const Shape& other_strides, int64_t dim, const F& fn) {
  const int64_t nd = index.dim();
  Shape pos(nd, 0);
  int64_t off = 0;
  for (int64_t k = 0; k < index.numel(); ++k) {
    fn(k, off);
    for (int64_t d = nd - 1; d >= 0; --d) {
      ++pos[d];
      if (d != dim) off += other_strides[d];
      if (pos[d] < index.shape()[d]) break;
      if (d != dim) off -= other_strides[d] * index.shape()[d];
      pos[d] = 0;
    }
  }
}

}  // namespace

void gather(const Tensor& src, int64_t dim, const Tensor& index, const Tensor& out) {
  dispatch_all(src.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* s = src.data<T>();
    T* o = out.data<T>();
    const int64_t* idx = index.data<int64_t>();
    const int64_t sd = src.strides()[dim];
    walk_index(index, src.strides(), dim, [&](int64_t k, int64_t off) { o[k] = s[off + idx[k] * sd]; });
  });
}

namespace {

template <class T>
T scatter_combine(ScatterOp op, T old, T x) {
  switch (op) {
    case ScatterOp::Assign: return x;
    case ScatterOp::Add:
      if constexpr (std::is_same_v<T, bool>) return old || x;
      else return old + x;
    case ScatterOp::Mul:
      if constexpr (std::is_same_v<T, bool>) return old && x;
      else return old * x;
    case ScatterOp::Max:
    case ScatterOp::Min:
      if constexpr (std::is_floating_point_v<T>) {
        if (std::isnan(old) || std::isnan(x)) return std::numeric_limits<T>::quiet_NaN();
      }
      return op == ScatterOp::Max ? (x > old ? x : old) : (x < old ? x : old);
  }
  return x;
}

}  // namespace

void scatter_add(const Tensor& dst, int64_t dim, const Tensor& index, const Tensor& src) {
  scatter(dst, dim, index, src, ScatterOp::Add);
}

void scatter(const Tensor& dst, int64_t dim, const Tensor& index, const Tensor& src, ScatterOp op) {
  dispatch_all(dst.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* d = dst.data<T>();
    const T* s = src.data<T>();
    const int64_t* idx = index.data<int64_t>();
    const int64_t dd = dst.strides()[dim];
    // src may be larger than index: walk src at the index's positions
    Shape sst = src.strides();
    const int64_t nd = index.dim();
    Shape pos(nd, 0);
    int64_t doff = 0, soff = 0;
    for (int64_t k = 0; k < index.numel(); ++k) {
      int64_t full = soff;
      for (int64_t q = 0; q < nd; ++q) full += q == dim ? pos[q] * sst[q] : 0;
      T& target = d[doff + idx[k] * dd];
      target = scatter_combine(op, target, s[full]);
      for (int64_t q = nd - 1; q >= 0; --q) {
        ++pos[q];
        if (q != dim) {
          doff += dst.strides()[q];
          soff += sst[q];
        }
        if (pos[q] < index.shape()[q]) break;
        if (q != dim) {
          doff -= dst.strides()[q] * index.shape()[q];
          soff -= sst[q] * index.shape()[q];
        }
        pos[q] = 0;
      }
    }
  });
}

Tensor nonzero(const Tensor& a) {
  return dispatch_all(a.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* p = a.data<T>();
    int64_t count = 0;
    for (int64_t k = 0; k < a.numel(); ++k) count += p[k] != T(0);
    Tensor out = Tensor::empty({count, a.dim()}, DType::Int64);
    int64_t* o = out.data<int64_t>();
    Shape pos(a.dim(), 0);
    for (int64_t k = 0; k < a.numel(); ++k) {
      if (p[k] != T(0)) {
        for (int64_t d = 0; d < a.dim(); ++d) *o++ = pos[d];
      }
      for (int64_t d = a.dim() - 1; d >= 0; --d) {
        if (++pos[d] < a.shape()[d]) break;
        pos[d] = 0;
      }
    }
    return out;
  });
}

}  // namespace glia::cpu
