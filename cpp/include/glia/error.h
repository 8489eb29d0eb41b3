#pragma once
// Errors thrown by glia; the Python bindings map them to ValueError, TypeError,
// IndexError and RuntimeError.
#include <stdexcept>
#include <string>

namespace glia {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct ShapeError : Error {
  using Error::Error;
};
struct DTypeError : Error {
  using Error::Error;
};
struct IndexError : Error {
  using Error::Error;
};
struct DeviceError : Error {
  using Error::Error;
};

}  // namespace glia
