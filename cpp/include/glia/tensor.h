#pragma once
// glia::Tensor: a cheap handle to shared, strided, typed memory with autograd fields.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "glia/dtype.h"
#include "glia/error.h"

namespace glia {

using Shape = std::vector<int64_t>;

enum class Device : uint8_t { CPU, CUDA };

// Raw memory shared by a tensor and all its views. `owner` keeps foreign memory
// (numpy, DLPack) alive; otherwise the bytes come from glia's caching allocator.
struct Storage {
  void* data = nullptr;
  size_t nbytes = 0;
  Device device = Device::CPU;
  std::shared_ptr<void> owner;
  // Bumped by every in-place write, so backward can detect a modified saved tensor.
  uint64_t version = 0;
  Storage() = default;
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  ~Storage();
  static std::shared_ptr<Storage> allocate(size_t nbytes, Device device = Device::CPU);
};

class Node;
class Tensor;
using TensorHook = std::function<Tensor(const Tensor&)>;

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape shape;
  Shape strides;  // in elements
  int64_t offset = 0;  // in elements
  int64_t numel = 0;
  DType dtype = DType::Float32;
  // autograd
  bool requires_grad = false;
  bool retains_grad = false;
  std::shared_ptr<TensorImpl> grad;
  std::shared_ptr<Node> grad_fn;
  std::weak_ptr<Node> grad_accumulator;  // for leaves: the node that writes .grad
  std::vector<TensorHook> hooks;          // for leaves; non-leaf hooks live on grad_fn
  // For a view: the tensor its chain of views started from (its base), so that a write
  // through the view under autograd can record itself in the base's history. Weak: once the
  // base is gone, nothing can read its history.
  std::weak_ptr<TensorImpl> view_base;
  // How many times an in-place write replaced this tensor's history (for a base), and the
  // base's count this view's history was made at (for a view): a view behind its base takes
  // its history from the base again (view_history.cpp).
  uint64_t history_version = 0;
  uint64_t base_history_seen = 0;
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // Makes a tensor over `storage` with the given geometry (no copy).
  static Tensor make(std::shared_ptr<Storage> storage, Shape shape, Shape strides, int64_t offset,
                     DType dtype);
  // A new contiguous tensor with uninitialised memory.
  static Tensor empty(const Shape& shape, DType dtype = DType::Float32);

  bool defined() const { return impl_ != nullptr; }
  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  bool same(const Tensor& o) const { return impl_ == o.impl_; }

  const Shape& shape() const { return impl_->shape; }
  const Shape& strides() const { return impl_->strides; }
  int64_t dim() const { return static_cast<int64_t>(impl_->shape.size()); }
  int64_t numel() const { return impl_->numel; }
  int64_t size(int64_t d) const;
  int64_t offset() const { return impl_->offset; }
  DType dtype() const { return impl_->dtype; }
  Device device() const { return impl_->storage->device; }
  const std::shared_ptr<Storage>& storage() const { return impl_->storage; }
  void* data_ptr() const {
    return static_cast<char*>(impl_->storage->data) + impl_->offset * itemsize(impl_->dtype);
  }
  template <class T>
  T* data() const {
    return static_cast<T*>(data_ptr());
  }
  bool is_contiguous() const;
  std::string shape_str() const;

  template <class T>
  T item() const;

  // autograd
  bool requires_grad() const {
    sync_view_history();
    return impl_->requires_grad;
  }
  Tensor& requires_grad_(bool flag = true);
  Tensor grad() const { return Tensor(impl_->grad); }
  void set_grad(const Tensor& g) const;
  const std::shared_ptr<Node>& grad_fn() const {
    sync_view_history();
    return impl_->grad_fn;
  }
  bool is_leaf() const { return grad_fn() == nullptr; }
  void backward(const Tensor& gradient = Tensor(), bool retain_graph = false,
                bool create_graph = false) const;
  Tensor detach() const;
  void register_hook(TensorHook hook) const;
  void retain_grad() const;

  // methods that mirror the free functions in ops.h
  Tensor sum() const;
  Tensor sum(const Shape& dims, bool keepdim = false) const;
  Tensor mean() const;
  Tensor mean(const Shape& dims, bool keepdim = false) const;
  Tensor reshape(const Shape& shape) const;
  Tensor view(const Shape& shape) const;
  Tensor transpose(int64_t d0, int64_t d1) const;
  Tensor permute(const Shape& dims) const;
  Tensor t() const;
  Tensor contiguous() const;
  Tensor clone() const;
  Tensor to(DType dtype) const;
  Tensor squeeze() const;
  Tensor unsqueeze(int64_t d) const;
  Tensor flatten(int64_t start = 0, int64_t end = -1) const;
  Tensor expand(const Shape& shape) const;

  // in-place, for use without gradient tracking (optimizer steps, initialisation)
  Tensor& add_(const Tensor& other, double alpha = 1.0);
  Tensor& sub_(const Tensor& other);
  Tensor& mul_(const Tensor& other);
  Tensor& mul_(double value);
  Tensor& div_(const Tensor& other);
  Tensor& zero_();
  Tensor& fill_(double value);
  Tensor& copy_(const Tensor& src);

 private:
  // A view whose base's history was replaced since the view's was made reads the base again.
  void sync_view_history() const {
    if (!impl_->view_base.expired()) sync_view_history_from_base();
  }
  void sync_view_history_from_base() const;
  friend void write_at_positions(Tensor& base, const Tensor& positions, const Tensor& values);

  std::shared_ptr<TensorImpl> impl_;
};

// For each element of `view`, a tensor sharing base's memory: its flat (row-major) index in
// base, as an int64 tensor of view's shape.
Tensor view_positions(const Tensor& base, const Tensor& view);
// The in-place write of an autograd-recorded `x[i] = v` (view_history.cpp): base's elements
// at the flat row-major `positions` take `values` (of positions' shape), and base takes a
// history that passes the gradient on to its old history elsewhere and to values there.
// Views of base read it again when autograd next looks at them.
void write_at_positions(Tensor& base, const Tensor& positions, const Tensor& values);

// Contiguous strides for a shape.
Shape contiguous_strides(const Shape& shape);
int64_t shape_numel(const Shape& shape);
std::string shape_str(const Shape& shape);

}  // namespace glia
