// Views of a tensor whose values and history an in-place write under autograd replaced
// (python/glia/_write_history.py): the base takes over the new history, and each view reads
// the base again, as a gather at its positions, the next time autograd looks at it.
#include <algorithm>
#include <vector>

#include "check.h"
#include "glia/autograd.h"
#include "glia/ops.h"
#include "glia/tensor.h"

namespace glia {
namespace {

// Calls fn(i, storage offset) for the elements of t in row-major order.
template <class F>
void for_each_offset(const Tensor& t, const F& fn) {
  const int64_t n = t.numel(), d = t.dim();
  std::vector<int64_t> idx(size_t(d), 0);
  int64_t off = t.offset();
  for (int64_t i = 0; i < n; ++i) {
    fn(i, off);
    for (int64_t k = d - 1; k >= 0; --k) {  // the next multi-index, like an odometer
      if (++idx[k] < t.shape()[k]) {
        off += t.strides()[k];
        break;
      }
      off -= (t.shape()[k] - 1) * t.strides()[k];
      idx[k] = 0;
    }
  }
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
  std::vector<int64_t> owner(size_t(std::max(last_offset(base), last_offset(view)) + 1), -1);
  for_each_offset(base, [&](int64_t i, int64_t off) { owner[size_t(off)] = i; });
  int64_t* out = pos.data<int64_t>();
  for_each_offset(view, [&](int64_t i, int64_t off) {
    out[i] = owner[size_t(off)];
    GLIA_CHECK(out[i] >= 0, Error, "in-place write: a view of shape ", view.shape(),
               " reaches memory outside its base of shape ", base.shape());
  });
  return pos;
}

void Tensor::rebase_history(const Tensor& values) {
  GLIA_CHECK(impl_->view_base.expired(), Error,
             "rebase_history: takes the base tensor, not a view of it");
  GLIA_CHECK(!(is_leaf() && requires_grad()), Error,
             "rebase_history: a leaf tensor that requires grad keeps its history");
  GLIA_CHECK(values.shape() == shape() && values.dtype() == dtype(), ShapeError,
             "rebase_history: values of shape ", values.shape(), " and dtype ", values.dtype(),
             " for a tensor of shape ", shape(), " and dtype ", dtype());
  GLIA_CHECK(!values.requires_grad() || values.grad_fn(), Error,
             "rebase_history: the values must come from an op (a leaf has no history to take)");
  {
    NoGradGuard no_grad;
    copy_(values);
  }
  impl_->grad_fn = values.impl()->grad_fn;
  impl_->requires_grad = values.requires_grad();
  ++impl_->history_version;
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
