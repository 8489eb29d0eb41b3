#pragma once
// GLIA_CHECK(cond, ErrorType, message parts...) throws ErrorType with the parts streamed.
#include <sstream>
#include <string>

#include "glia/error.h"
#include "glia/tensor.h"

namespace glia::detail {

inline void stream_all(std::ostringstream&) {}
template <class T, class... Rest>
void stream_all(std::ostringstream& os, const T& first, const Rest&... rest) {
  if constexpr (std::is_same_v<T, Shape>) {
    os << shape_str(first);
  } else if constexpr (std::is_same_v<T, DType>) {
    os << dtype_name(first);
  } else {
    os << first;
  }
  stream_all(os, rest...);
}

template <class... Parts>
std::string message(const Parts&... parts) {
  std::ostringstream os;
  stream_all(os, parts...);
  return os.str();
}

}  // namespace glia::detail

#define GLIA_CHECK(cond, ErrorType, ...)                         \
  do {                                                          \
    if (!(cond)) throw ErrorType(::glia::detail::message(__VA_ARGS__)); \
  } while (0)

namespace glia {

// Wraps a possibly negative dim into [0, ndim); throws IndexError naming `op`.
inline int64_t wrap_dim(int64_t dim, int64_t ndim, const char* op) {
  int64_t n = ndim == 0 ? 1 : ndim;  // a 0-d tensor accepts dim 0 and -1
  GLIA_CHECK(dim >= -n && dim < n, IndexError, op, ": dim ", dim, " is out of range for a ", ndim,
             "-d tensor (expected in [", -n, ", ", n - 1, "])");
  return dim < 0 ? dim + n : dim;
}

// The name of a spatial op in messages: ("conv", 2) -> "conv2d".
inline std::string nd_op_name(const char* base, int64_t nd) {
  return std::string(base) + std::to_string(nd) + "d";
}

}  // namespace glia
