#pragma once
// Runs a generic lambda once with the C++ type of a DType: fn(T{}) style via a tag.
#include "check.h"
#include "glia/dtype.h"

namespace glia {

template <class T>
struct TypeTag {
  using type = T;
};

template <class F>
decltype(auto) dispatch_all(DType d, F&& fn) {
  switch (d) {
    case DType::Bool: return fn(TypeTag<bool>{});
    case DType::Int64: return fn(TypeTag<int64_t>{});
    case DType::Float32: return fn(TypeTag<float>{});
    case DType::Float64: return fn(TypeTag<double>{});
  }
  throw DTypeError("unknown dtype");
}

template <class F>
decltype(auto) dispatch_float(DType d, const char* op, F&& fn) {
  switch (d) {
    case DType::Float32: return fn(TypeTag<float>{});
    case DType::Float64: return fn(TypeTag<double>{});
    default: break;
  }
  throw DTypeError(detail::message(op, ": expected a floating-point tensor, got ", d));
}

// int64, float32, float64 (arithmetic without bool)
template <class F>
decltype(auto) dispatch_numeric(DType d, const char* op, F&& fn) {
  switch (d) {
    case DType::Int64: return fn(TypeTag<int64_t>{});
    case DType::Float32: return fn(TypeTag<float>{});
    case DType::Float64: return fn(TypeTag<double>{});
    default: break;
  }
  throw DTypeError(detail::message(op, ": not supported for dtype ", d));
}

}  // namespace glia
