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

// A scalar never widens a float tensor, but a float scalar makes an integer tensor float32.
inline DType promote_with_scalar(DType t, const Scalar& s) {
  if (s.kind == Scalar::Kind::Float) return is_floating(t) ? t : DType::Float32;
  if (s.kind == Scalar::Kind::Int) return t == DType::Bool ? DType::Int64 : t;
  return t;
}

}  // namespace glia
