#pragma once
// Element types of a tensor and the promotion rules between them.
#include <cstddef>
#include <cstdint>
#include <string>

namespace glia {

enum class DType : uint8_t { Bool, Int64, Float32, Float64 };

inline size_t itemsize(DType d) {
  switch (d) {
    case DType::Bool: return 1;
    case DType::Int64: return 8;
    case DType::Float32: return 4;
    case DType::Float64: return 8;
  }
  return 0;
}

inline const char* dtype_name(DType d) {
  switch (d) {
    case DType::Bool: return "bool";
    case DType::Int64: return "int64";
    case DType::Float32: return "float32";
    case DType::Float64: return "float64";
  }
  return "?";
}

inline bool is_floating(DType d) { return d == DType::Float32 || d == DType::Float64; }

// bool < int64 < float32 < float64, as in PyTorch for these four types.
inline DType promote(DType a, DType b) { return a > b ? a : b; }

// A Python/C++ number used as an operand; its kind decides promotion with a tensor.
struct Scalar {
  enum class Kind : uint8_t { Bool, Int, Float } kind;
  double value;
  Scalar() : kind(Kind::Int), value(0) {}
  Scalar(double v) : kind(Kind::Float), value(v) {}
  Scalar(float v) : kind(Kind::Float), value(v) {}
  Scalar(int v) : kind(Kind::Int), value(v) {}
  Scalar(int64_t v) : kind(Kind::Int), value(static_cast<double>(v)) {}
  Scalar(bool v) : kind(Kind::Bool), value(v ? 1.0 : 0.0) {}
};

// bool < integer < floating: the category decides whether a 0-d operand may widen the result.
inline int category(DType d) { return d == DType::Bool ? 0 : (is_floating(d) ? 2 : 1); }

// PyTorch's rule for two tensors: dimensioned operands decide the result unless a 0-d
// operand is of a higher category (a float 0-d tensor makes an int tensor float).
inline DType result_type(DType a, bool a_is_0d, DType b, bool b_is_0d) {
  if (a_is_0d == b_is_0d) return promote(a, b);
  DType dim = a_is_0d ? b : a, zero = a_is_0d ? a : b;
  return category(zero) > category(dim) ? promote(dim, zero) : dim;
}

// A scalar never widens a float tensor, but a float scalar makes an integer tensor float32.
inline DType promote_with_scalar(DType t, const Scalar& s) {
  if (s.kind == Scalar::Kind::Float) return is_floating(t) ? t : DType::Float32;
  if (s.kind == Scalar::Kind::Int) return t == DType::Bool ? DType::Int64 : t;
  return t;
}

}  // namespace glia
