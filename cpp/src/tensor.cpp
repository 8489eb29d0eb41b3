// Tensor handles, storage, and the Tensor methods (thin forwards to ops.h).
#include "glia/tensor.h"

#include <sstream>

#include "allocator.h"
#include "check.h"
#include "cpu/elementwise.h"
#include "dispatch.h"
#include "glia/autograd.h"
#include "glia/ops.h"

namespace glia {

Storage::~Storage() {
  if (!owner && data) allocator::release(data, nbytes);
}

std::shared_ptr<Storage> Storage::allocate(size_t nbytes, Device device) {
  GLIA_CHECK(device == Device::CPU, DeviceError, "allocate: glia was built without CUDA");
  auto s = std::make_shared<Storage>();
  s->data = allocator::allocate(nbytes);
  s->nbytes = nbytes;
  s->device = device;
  return s;
}

Shape contiguous_strides(const Shape& shape) {
  Shape st(shape.size());
  int64_t acc = 1;
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
    st[d] = acc;
    acc *= std::max<int64_t>(shape[d], 1);
  }
  return st;
}

int64_t shape_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

std::string shape_str(const Shape& shape) {
  std::ostringstream os;
  os << "(";
  for (size_t i = 0; i < shape.size(); ++i) os << (i ? ", " : "") << shape[i];
  if (shape.size() == 1) os << ",";
  os << ")";
  return os.str();
}

Tensor Tensor::make(std::shared_ptr<Storage> storage, Shape shape, Shape strides, int64_t offset,
                    DType dtype) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::move(storage);
  impl->numel = shape_numel(shape);
  impl->shape = std::move(shape);
  impl->strides = std::move(strides);
  impl->offset = offset;
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

Tensor Tensor::empty(const Shape& shape, DType dtype) {
  int64_t n = 1;
  for (int64_t s : shape) {
    GLIA_CHECK(s >= 0, ShapeError, "empty: negative dimension in shape ", shape);
    GLIA_CHECK(s == 0 || n <= (int64_t(1) << 62) / s, ShapeError, "empty: shape ", shape,
               " is too large");
    n *= s;
  }
  GLIA_CHECK(n <= (int64_t(1) << 62) / int64_t(itemsize(dtype)), ShapeError, "empty: shape ", shape,
             " is too large");
  return make(Storage::allocate(static_cast<size_t>(n) * itemsize(dtype)), shape,
              contiguous_strides(shape), 0, dtype);
}

int64_t Tensor::size(int64_t d) const { return shape()[wrap_dim(d, dim(), "size")]; }

bool Tensor::is_contiguous() const {
  if (numel() == 0) return true;
  int64_t expected = 1;
  for (int64_t d = dim() - 1; d >= 0; --d) {
    if (shape()[d] == 1) continue;
    if (strides()[d] != expected) return false;
    expected *= shape()[d];
  }
  return true;
}

std::string Tensor::shape_str() const { return glia::shape_str(shape()); }

template <class T>
T Tensor::item() const {
  GLIA_CHECK(defined(), Error, "item: undefined tensor");
  GLIA_CHECK(numel() == 1, ShapeError,
             "item: only a tensor with one element can be converted to a number, got shape ",
             shape());
  return dispatch_all(dtype(), [&](auto tag) -> T {
    using S = typename decltype(tag)::type;
    return static_cast<T>(*data<S>());
  });
}
template float Tensor::item<float>() const;
template double Tensor::item<double>() const;
template int64_t Tensor::item<int64_t>() const;
template bool Tensor::item<bool>() const;
template int Tensor::item<int>() const;

Tensor& Tensor::requires_grad_(bool flag) {
  GLIA_CHECK(!flag || is_floating(dtype()), DTypeError,
             "requires_grad_: only floating-point tensors can require gradients, got ", dtype());
  GLIA_CHECK(flag || is_leaf(), Error,
             "requires_grad_: can only change requires_grad of leaf tensors (use detach())");
  impl_->requires_grad = flag;
  return *this;
}

void Tensor::set_grad(const Tensor& g) const {
  if (g.defined()) {
    GLIA_CHECK(g.shape() == shape(), ShapeError, "grad: assigned gradient has shape ", g.shape(),
               " but the tensor has shape ", shape());
  }
  impl_->grad = g.impl_ptr();
}

void Tensor::backward(const Tensor& gradient, bool retain_graph, bool create_graph) const {
  glia::backward({*this}, {gradient}, retain_graph, create_graph);
}

Tensor Tensor::detach() const { return glia::detach(*this); }

void Tensor::register_hook(TensorHook hook) const {
  GLIA_CHECK(requires_grad(), Error,
             "register_hook: cannot register a hook on a tensor that does not require grad");
  if (is_leaf())
    impl_->hooks.push_back(std::move(hook));
  else
    impl_->grad_fn->hooks().push_back(output_hook(std::move(hook), *this));
}

void Tensor::retain_grad() const {
  GLIA_CHECK(requires_grad(), Error,
             "retain_grad: cannot retain the grad of a tensor that does not require grad");
  if (is_leaf()) return;
  impl_->retains_grad = true;
  impl_->grad_fn->retained = impl_;
}

Tensor Tensor::sum() const { return glia::sum(*this); }
Tensor Tensor::sum(const Shape& dims, bool keepdim) const { return glia::sum(*this, dims, keepdim); }
Tensor Tensor::mean() const { return glia::mean(*this); }
Tensor Tensor::mean(const Shape& dims, bool keepdim) const {
  return glia::mean(*this, dims, keepdim);
}
Tensor Tensor::reshape(const Shape& s) const { return glia::reshape(*this, s); }
Tensor Tensor::view(const Shape& s) const { return glia::view(*this, s); }
Tensor Tensor::transpose(int64_t a, int64_t b) const { return glia::transpose(*this, a, b); }
Tensor Tensor::permute(const Shape& dims) const { return glia::permute(*this, dims); }
Tensor Tensor::t() const {
  GLIA_CHECK(dim() <= 2, ShapeError, "t: expects a tensor with <= 2 dims, got shape ", shape());
  return dim() < 2 ? *this : glia::transpose(*this, 0, 1);
}
Tensor Tensor::contiguous() const { return glia::contiguous(*this); }
Tensor Tensor::clone() const { return glia::clone(*this); }
Tensor Tensor::to(DType d) const { return glia::to_dtype(*this, d); }
Tensor Tensor::squeeze() const { return glia::squeeze(*this); }
Tensor Tensor::unsqueeze(int64_t d) const { return glia::unsqueeze(*this, d); }
Tensor Tensor::flatten(int64_t s, int64_t e) const { return glia::flatten(*this, s, e); }
Tensor Tensor::expand(const Shape& s) const { return glia::expand(*this, s); }

// ---- in-place ----

namespace {

void check_inplace(const Tensor& self, const char* op) {
  GLIA_CHECK(self.defined(), Error, op, ": undefined tensor");
  GLIA_CHECK(!(grad_enabled() && self.requires_grad()), Error, op,
             ": in-place operation on a tensor that requires grad; wrap it in no_grad() "
             "or use the out-of-place op");
}

// The source of an in-place op must broadcast to self's shape, and self must not overlap
// itself (an expanded tensor).
void check_broadcast_into(const Tensor& self, const Tensor& src, const char* op) {
  Shape b = broadcast_shapes(self.shape(), src.shape(), op);
  GLIA_CHECK(b == self.shape(), ShapeError, op, ": source of shape ", src.shape(),
             " cannot be broadcast to the destination shape ", self.shape());
  for (int64_t d = 0; d < self.dim() && self.numel() > 0; ++d)
    GLIA_CHECK(self.strides()[d] != 0 || self.shape()[d] <= 1, Error, op,
               ": cannot write into an expanded tensor (some elements share memory)");
}

void bump(const Tensor& t) { ++t.storage()->version; }

Tensor& binary_inplace(Tensor& self, const Tensor& other, cpu::BinaryOp op, const char* name) {
  check_inplace(self, name);
  check_broadcast_into(self, other, name);
  DType rt = result_type(self.dtype(), self.dim() == 0, other.dtype(), other.dim() == 0);
  if (op == cpu::BinaryOp::Div && !is_floating(rt)) rt = DType::Float32;
  GLIA_CHECK(rt == self.dtype(), DTypeError, name, ": result type ", rt,
             " cannot be written into a tensor of dtype ", self.dtype());
  Tensor o = other.dtype() == self.dtype() ? other : other.to(self.dtype());
  cpu::binary(op, self, o, self);
  bump(self);
  return self;
}

}  // namespace

Tensor& Tensor::add_(const Tensor& other, double alpha) {
  if (alpha == 1.0) return binary_inplace(*this, other, cpu::BinaryOp::Add, "add_");
  check_inplace(*this, "add_");
  check_broadcast_into(*this, other, "add_");
  DType rt = result_type(dtype(), dim() == 0, other.dtype(), other.dim() == 0);
  GLIA_CHECK(rt == dtype(), DTypeError, "add_: result type ", rt,
             " cannot be written into a tensor of dtype ", dtype());
  Tensor o = other.dtype() == dtype() ? other : other.to(dtype());
  cpu::add_scaled(o, *this, alpha, *this);
  bump(*this);
  return *this;
}
Tensor& Tensor::sub_(const Tensor& other) {
  return binary_inplace(*this, other, cpu::BinaryOp::Sub, "sub_");
}
Tensor& Tensor::mul_(const Tensor& other) {
  return binary_inplace(*this, other, cpu::BinaryOp::Mul, "mul_");
}
Tensor& Tensor::mul_(double value) { return mul_(scalar_tensor(Scalar(value), dtype())); }
Tensor& Tensor::div_(const Tensor& other) {
  return binary_inplace(*this, other, cpu::BinaryOp::Div, "div_");
}
Tensor& Tensor::zero_() { return fill_(0.0); }
Tensor& Tensor::fill_(double value) {
  check_inplace(*this, "fill_");
  cpu::fill(*this, value);
  bump(*this);
  return *this;
}
Tensor& Tensor::copy_(const Tensor& src) {
  check_inplace(*this, "copy_");
  check_broadcast_into(*this, src, "copy_");
  if (src.storage() == storage() && !(src.shape() == shape() && src.strides() == strides() &&
                                      src.offset() == offset())) {
    Tensor tmp = src.contiguous().clone();  // overlapping source: read it out first
    cpu::copy(tmp, *this);
  } else {
    cpu::copy(src, *this);
  }
  bump(*this);
  return *this;
}

}  // namespace glia
