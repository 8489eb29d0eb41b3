// In-place writes under autograd (python/glia/_write_history.py): the write goes into the
// tensor the views started from (the base), which takes a new history, and each view reads
// the base again, as a gather at its positions, the next time autograd looks at it.
#include <algorithm>
#include <vector>

#include "check.h"
#include "cpu/loops.h"
#include "dispatch.h"
#include "glia/autograd.h"
#include "glia/ops.h"
#include "glia/tensor.h"

namespace glia {
namespace {

// Calls fn(i, storage offset) for the elements of t, i its row-major index, on the threads
// (strided_for walks a contiguous index alongside t's own strides).
template <class F>
void for_each_offset(const Tensor& t, const F& fn) {
  const Shape index_strides = contiguous_strides(t.shape());
  cpu::strided_for<2>(t.shape(), {&index_strides, &t.strides()},
                      [&](int64_t n, const int64_t* off, const int64_t* st) {
                        for (int64_t k = 0; k < n; ++k)
                          fn(off[0] + k * st[0], t.offset() + off[1] + k * st[1]);
                      });
}

int64_t last_offset(const Tensor& t) {
  int64_t off = t.offset();
  for (int64_t k = 0; k < t.dim(); ++k) {
    GLIA_CHECK(t.strides()[k] >= 0, Error, "in-place write: negative strides are not supported");
    off += (t.shape()[k] - 1) * t.strides()[k];
  }
  return off;
}

}  // namespace

Tensor view_positions(const Tensor& base, const Tensor& view) {
  GLIA_CHECK(base.storage() == view.storage(), Error,
             "view_positions: the view does not share the base's memory");
  Tensor pos = Tensor::empty(view.shape(), DType::Int64);
  if (view.numel() == 0) return pos;
  GLIA_CHECK(base.numel() > 0, Error, "view_positions: a view of shape ", view.shape(),
             " of an empty tensor");
  int64_t* out = pos.data<int64_t>();
  const int64_t first = base.offset(), last = last_offset(base);
  if (base.is_contiguous()) {  // the usual base: a position is the offset from base's start
    for_each_offset(view, [&](int64_t i, int64_t off) {
      GLIA_CHECK(off >= first && off <= last, Error, "in-place write: a view of shape ",
                 view.shape(), " reaches memory outside its base of shape ", base.shape());
      out[i] = off - first;
    });
    return pos;
  }
  std::vector<int64_t> owner(size_t(std::max(last, last_offset(view)) + 1), -1);
  for_each_offset(base, [&](int64_t i, int64_t off) { owner[size_t(off)] = i; });
  for_each_offset(view, [&](int64_t i, int64_t off) {
    out[i] = owner[size_t(off)];
    GLIA_CHECK(out[i] >= 0, Error, "in-place write: a view of shape ", view.shape(),
               " reaches memory outside its base of shape ", base.shape());
  });
  return pos;
}

void write_at_positions(Tensor& base, const Tensor& positions, const Tensor& values) {
  const char* op = "in-place write";
  GLIA_CHECK(base.impl()->view_base.expired(), Error, op, ": takes the base tensor, not a view");
  GLIA_CHECK(!(base.is_leaf() && base.requires_grad()), Error, op,
             ": a leaf tensor that requires grad cannot be written while grad is enabled");
  GLIA_CHECK(positions.dtype() == DType::Int64 && values.shape() == positions.shape() &&
                 values.dtype() == base.dtype(),
             ShapeError, op, ": values of shape ", values.shape(), " and dtype ", values.dtype(),
             " for ", positions.shape(), " positions of a ", base.dtype(), " tensor");
  const int64_t n = positions.numel();
  Tensor pos = reshape(contiguous(positions), {n});
  Tensor vals = contiguous(detach(values));
  const int64_t* p = pos.data<int64_t>();
  for (int64_t i = 0; i < n; ++i)
    GLIA_CHECK(p[i] >= 0 && p[i] < base.numel(), IndexError, op, ": position ", p[i],
               " is outside a tensor of ", base.numel(), " elements");
  dispatch_all(base.dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* data = static_cast<T*>(base.storage()->data);
    const T* v = vals.data<T>();
    const bool flat = base.is_contiguous();
    for (int64_t i = 0; i < n; ++i) {
      int64_t off = base.offset(), rest = p[i];  // the row-major index into a storage offset
      if (flat) {
        off += rest;
      } else {
        for (int64_t k = base.dim() - 1; k >= 0; --k) {
          off += rest % base.shape()[k] * base.strides()[k];
          rest /= base.shape()[k];
        }
      }
      data[off] = v[i];
    }
  });
  ++base.storage()->version;
  if (!any_requires_grad({&base, &values})) return;
  const Shape shape = base.shape(), vshape = values.shape();
  // the gradient reaches the old values where nothing was written, and values where it was
  attach_grad_fn(
      base, "CopySlices", {base, values},
      [pos, shape, vshape](const Tensor& g, const NeedsGrad& need) {
        Tensor flat = reshape(g, {shape_numel(shape)});
        Grads grads(2);
        if (need[0]) grads[0] = reshape(scatter(flat, 0, pos, Scalar(0.0)), shape);
        if (need[1]) grads[1] = reshape(index_select(flat, 0, pos), vshape);
        return grads;
      },
      {}, Backward::Differentiable);
  ++base.impl()->history_version;
}

void Tensor::sync_view_history_from_base() const {
  std::shared_ptr<TensorImpl> base_impl = impl_->view_base.lock();
  if (!base_impl || base_impl->history_version == impl_->base_history_seen) return;
  Tensor base(base_impl);
  EnableGradGuard grad;  // the view is part of the base whatever the mode it is looked at in
  Tensor flat = glia::reshape(base, {base.numel()});
  Tensor fresh = glia::reshape(
      index_select(flat, 0, glia::reshape(view_positions(base, *this), {numel()})), shape());
  impl_->grad_fn = fresh.impl()->grad_fn;
  impl_->requires_grad = fresh.impl()->requires_grad;
  impl_->base_history_seen = base_impl->history_version;
}

}  // namespace glia
