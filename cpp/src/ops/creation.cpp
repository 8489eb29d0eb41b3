// Tensors made from nothing: zeros, ones, full, arange, linspace, eye.
#include <cmath>

#include "check.h"
#include "cpu/elementwise.h"
#include "dispatch.h"
#include "glia/ops.h"

namespace glia {

Tensor empty(const Shape& shape, DType dtype) { return Tensor::empty(shape, dtype); }

Tensor full(const Shape& shape, Scalar value, std::optional<DType> dtype) {
  DType d = dtype.value_or(value.kind == Scalar::Kind::Float  ? DType::Float32
                           : value.kind == Scalar::Kind::Int ? DType::Int64
                                                             : DType::Bool);
  Tensor t = Tensor::empty(shape, d);
  cpu::fill(t, value.value);
  return t;
}

Tensor zeros(const Shape& shape, DType dtype) { return full(shape, Scalar(0.0), dtype); }
Tensor ones(const Shape& shape, DType dtype) { return full(shape, Scalar(1.0), dtype); }

Tensor scalar_tensor(Scalar value, DType dtype) {
  Tensor t = Tensor::empty({}, dtype);
  dispatch_all(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    *t.data<T>() = static_cast<T>(value.value);
  });
  return t;
}

Tensor zeros_like(const Tensor& t, std::optional<DType> d) { return zeros(t.shape(), d.value_or(t.dtype())); }
Tensor ones_like(const Tensor& t, std::optional<DType> d) { return ones(t.shape(), d.value_or(t.dtype())); }
Tensor empty_like(const Tensor& t, std::optional<DType> d) { return empty(t.shape(), d.value_or(t.dtype())); }
Tensor full_like(const Tensor& t, Scalar v, std::optional<DType> d) {
  return full(t.shape(), v, d.value_or(t.dtype()));
}

Tensor arange(Scalar start, Scalar end, Scalar step, std::optional<DType> dtype) {
  GLIA_CHECK(step.value != 0, ShapeError, "arange: step must be non-zero");
  GLIA_CHECK(std::isfinite(start.value) && std::isfinite(end.value), ShapeError,
             "arange: start and end must be finite, got ", start.value, " and ", end.value);
  bool any_float = start.kind == Scalar::Kind::Float || end.kind == Scalar::Kind::Float ||
                   step.kind == Scalar::Kind::Float;
  DType d = dtype.value_or(any_float ? DType::Float32 : DType::Int64);
  double span = (end.value - start.value) / step.value;
  int64_t n = std::max<int64_t>(0, static_cast<int64_t>(std::ceil(span)));
  Tensor t = Tensor::empty({n}, d);
  dispatch_numeric(d, "arange", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* p = t.data<T>();
    for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(start.value + i * step.value);
  });
  return t;
}

Tensor linspace(double start, double end, int64_t steps, DType dtype) {
  GLIA_CHECK(steps >= 0, ShapeError, "linspace: steps must be non-negative, got ", steps);
  Tensor t = Tensor::empty({steps}, dtype);
  double step = steps > 1 ? (end - start) / double(steps - 1) : 0.0;
  dispatch_numeric(dtype, "linspace", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* p = t.data<T>();
    // fill from both ends, as PyTorch does, so the last value is exactly `end`
    for (int64_t i = 0; i < steps; ++i)
      p[i] = static_cast<T>(steps == 1 || i < steps / 2 ? start + step * i
                                                        : end - step * (steps - 1 - i));
  });
  return t;
}

Tensor eye(int64_t n, int64_t m, DType dtype) {
  if (m < 0) m = n;
  GLIA_CHECK(n >= 0, ShapeError, "eye: n must be non-negative, got ", n);
  Tensor t = zeros({n, m}, dtype);
  dispatch_all(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* p = t.data<T>();
    for (int64_t i = 0; i < std::min(n, m); ++i) p[i * m + i] = T(1);
  });
  return t;
}

}  // namespace glia
