#pragma once
// Optional operands (weights, biases) of the fused ops, whose kernels read raw memory.
#include "check.h"
#include "glia/ops.h"

namespace glia::nn {

// What a kernel may read: a contiguous, detached tensor (no copy when t already is
// contiguous); undefined stays undefined. A strided bias read as raw memory is wrong.
inline Tensor kernel_operand(const Tensor& t) {
  return t.defined() ? contiguous(detach(t)) : Tensor();
}

// The operand's data, or null when it is absent.
template <class T>
const T* ptr_or_null(const Tensor& t) {
  if (!t.defined()) return nullptr;
  GLIA_CHECK(t.is_contiguous(), Error, "internal: kernel operands must go through kernel_operand");
  return t.data<T>();
}

// The same for a buffer the kernel writes (or reads back from its own forward).
template <class T>
T* mutable_ptr_or_null(const Tensor& t) {
  return const_cast<T*>(ptr_or_null<T>(t));
}

// Checks an optional parameter's dtype and shape against the input's.
inline void check_param(const Tensor& p, const Shape& shape, DType dtype, const char* op,
                        const char* name) {
  if (!p.defined()) return;
  GLIA_CHECK(p.dtype() == dtype, DTypeError, op, ": ", name, " is ", p.dtype(), " but input is ",
             dtype);
  GLIA_CHECK(p.shape() == shape, ShapeError, op, ": ", name, " must have shape ", shape, ", got ",
             p.shape());
}

}  // namespace glia::nn
