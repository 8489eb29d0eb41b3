#pragma once
// Temporary kernel memory from the caching allocator: freed blocks come back warm, so
// per-call buffers (im2col columns) cost no page faults after the first call.
#include <cstddef>

#include "allocator.h"

namespace glia::cpu {

template <class T>
class Scratch {
 public:
  explicit Scratch(size_t count) : bytes_(count * sizeof(T)) {
    data_ = static_cast<T*>(allocator::allocate(bytes_));
  }
  ~Scratch() { allocator::release(data_, bytes_); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  T* data() const { return data_; }

 private:
  size_t bytes_;
  T* data_;
};

}  // namespace glia::cpu
