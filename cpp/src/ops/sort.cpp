// sort, argsort and topk along a dim: values with their int64 positions; the values'
// gradient goes back to the positions it came from.
#include "cpu/sort.h"

#include "check.h"
#include "glia/autograd.h"
#include "glia/ops.h"

namespace glia {

namespace {

// The k first of each line along dim in ascending (or descending) order.
std::pair<Tensor, Tensor> sorted_prefix(const Tensor& a, int64_t dim, int64_t k, bool descending,
                                        const char* name) {
  const int64_t d = wrap_dim(dim, a.dim(), name);
  Shape shape = a.shape();
  cpu::ReduceLayout L{1, 1, 1};
  for (int64_t i = 0; i < a.dim(); ++i) (i < d ? L.outer : (i == d ? L.reduced : L.inner)) *= shape[i];
  if (a.dim() > 0) shape[d] = k;
  Tensor values = Tensor::empty(shape, a.dtype()), indices = Tensor::empty(shape, DType::Int64);
  if (values.numel() > 0) cpu::sort_lines(contiguous(detach(a)), L, k, descending, values, indices);
  if (any_requires_grad({&a})) {
    Shape in_shape = a.shape();
    attach_grad_fn(values, descending ? "SortDescendingBackward" : "SortBackward", {a},
                   [indices, in_shape, d](const Tensor& g, const NeedsGrad&) {
                     if (in_shape.empty()) return Grads{g};
                     return Grads{scatter_add(zeros(in_shape, g.dtype()), d, indices, g)};
                   });
  }
  return {values, indices};
}

int64_t line_length(const Tensor& a, int64_t dim, const char* name) {
  GLIA_CHECK(a.defined(), Error, name, ": got an undefined tensor");
  const int64_t d = wrap_dim(dim, a.dim(), name);
  return a.dim() == 0 ? 1 : a.shape()[d];
}

}  // namespace

std::pair<Tensor, Tensor> sort(const Tensor& a, int64_t dim, bool descending) {
  return sorted_prefix(a, dim, line_length(a, dim, "sort"), descending, "sort");
}

Tensor argsort(const Tensor& a, int64_t dim, bool descending) {
  return sorted_prefix(detach(a), dim, line_length(a, dim, "argsort"), descending, "argsort").second;
}

std::pair<Tensor, Tensor> topk(const Tensor& a, int64_t k, int64_t dim, bool largest) {
  const int64_t n = line_length(a, dim, "topk");
  GLIA_CHECK(k >= 0 && k <= n, ShapeError, "topk: k must be in [0, ", n, "] (the size of dim ",
             dim, " of shape ", a.shape(), "), got ", k);
  // a 0-d tensor is its own top element, for k = 0 as for k = 1 (as torch)
  return sorted_prefix(a, dim, a.dim() == 0 ? 1 : k, largest, "topk");
}

}  // namespace glia
