// Reductions (sum, mean, max, var, norm, ...) and softmax, each with its backward.
#include "cpu/reduce.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "check.h"
#include "glia/autograd.h"
#include "glia/ops.h"

namespace glia {

using cpu::ReduceLayout;
using cpu::ReduceOp;

namespace {

// Which dims a reduction covers: empty `dims` means all of them.
std::vector<bool> reduced_mask(const Tensor& a, const Shape& dims, const char* op) {
  std::vector<bool> mask(a.dim(), dims.empty());
  for (int64_t d : dims) {
    int64_t w = wrap_dim(d, a.dim(), op);
    GLIA_CHECK(a.dim() == 0 || !mask[w] || dims.empty(), IndexError, op, ": dim ", w,
               " appears more than once in ", dims);
    if (a.dim() > 0) mask[w] = true;
  }
  return mask;
}

Shape reduced_shape(const Tensor& a, const std::vector<bool>& mask, bool keepdim) {
  Shape s;
  for (int64_t d = 0; d < a.dim(); ++d) {
    if (!mask[d]) s.push_back(a.shape()[d]);
    else if (keepdim) s.push_back(1);
  }
  return s;
}

// Brings `a` to a contiguous [outer, reduced, inner] layout, copying only when the
// reduced dims are not one block of a contiguous tensor.
Tensor to_layout(const Tensor& a, const std::vector<bool>& mask, ReduceLayout& L) {
  int64_t first = -1, last = -1;
  for (int64_t d = 0; d < a.dim(); ++d)
    if (mask[d] && a.shape()[d] != 1) {
      if (first < 0) first = d;
      last = d;
    }
  bool block = true;
  for (int64_t d = first; first >= 0 && d <= last; ++d)
    if (!mask[d] && a.shape()[d] != 1) block = false;
  if (first < 0) {  // nothing (of size > 1) is reduced
    L = {a.numel(), 1, 1};
    return a.is_contiguous() ? a : clone(detach(a));
  }
  if (block && a.is_contiguous()) {
    L = {1, 1, 1};
    for (int64_t d = 0; d < a.dim(); ++d) {
      if (d < first) L.outer *= a.shape()[d];
      else if (d <= last) L.reduced *= a.shape()[d];
      else L.inner *= a.shape()[d];
    }
    return a;
  }
  Shape order;
  for (int64_t d = 0; d < a.dim(); ++d)
    if (!mask[d]) order.push_back(d);
  for (int64_t d = 0; d < a.dim(); ++d)
    if (mask[d]) order.push_back(d);
  Tensor p = clone(permute(detach(a), order));
  L = {1, 1, 1};
  for (int64_t d = 0; d < a.dim(); ++d) (mask[d] ? L.reduced : L.outer) *= a.shape()[d];
  return p;
}

Tensor reduce_kernel(ReduceOp op, const Tensor& a, const Shape& dims, bool keepdim, DType out_dtype,
                     const char* name) {
  GLIA_CHECK(a.defined(), Error, name, ": got an undefined tensor");
  auto mask = reduced_mask(a, dims, name);
  Shape shape = reduced_shape(a, mask, keepdim);
  if (op == ReduceOp::Max || op == ReduceOp::Min) {
    for (int64_t d = 0; d < a.dim(); ++d)
      GLIA_CHECK(!(mask[d] && a.shape()[d] == 0), IndexError, name,
                 ": cannot reduce over a zero-size dim ", d, " of shape ", a.shape());
  }
  ReduceLayout L;
  Tensor x = to_layout(a, mask, L);
  Tensor out = Tensor::empty(shape, out_dtype);
  if (out.numel() > 0) cpu::reduce(op, x, L, out);
  return out;
}

// Re-expands a reduced gradient (keepdim or not) to the input's shape.
Tensor expand_back(const Tensor& g, const Shape& in_shape, const std::vector<bool>& mask) {
  Shape keep;
  for (size_t d = 0; d < in_shape.size(); ++d) keep.push_back(mask[d] ? 1 : in_shape[d]);
  return expand(reshape(g, keep), in_shape);
}

int64_t reduced_count(const Tensor& a, const std::vector<bool>& mask) {
  int64_t n = 1;
  for (int64_t d = 0; d < a.dim(); ++d)
    if (mask[d]) n *= a.shape()[d];
  return n;
}

}  // namespace

Tensor sum(const Tensor& a_in, const Shape& dims, bool keepdim) {
  Tensor a = a_in.dtype() == DType::Bool ? to_dtype(a_in, DType::Int64) : a_in;
  Tensor out = reduce_kernel(ReduceOp::Sum, a, dims, keepdim, a.dtype(), "sum");
  if (any_requires_grad({&a})) {
    auto mask = reduced_mask(a, dims, "sum");
    Shape in_shape = a.shape();
    attach_grad_fn(out, "SumBackward", {a}, [in_shape, mask](const Tensor& g, const NeedsGrad&) {
      return Grads{expand_back(g, in_shape, mask)};
    });
  }
  return out;
}

Tensor sum_to(const Tensor& a, const Shape& shape) {
  if (a.shape() == shape) return a;
  int64_t lead = a.dim() - static_cast<int64_t>(shape.size());
  GLIA_CHECK(lead >= 0, ShapeError, "sum_to: cannot sum shape ", a.shape(), " to ", shape);
  Shape dims;
  for (int64_t d = 0; d < a.dim(); ++d)
    if (d < lead || (shape[d - lead] == 1 && a.shape()[d] != 1)) dims.push_back(d);
  Tensor s = dims.empty() ? a : sum(a, dims, true);
  return reshape(s, shape);
}

Tensor mean(const Tensor& a, const Shape& dims, bool keepdim) {
  GLIA_CHECK(is_floating(a.dtype()), DTypeError,
             "mean: input dtype must be floating point, got ", a.dtype(),
             " (convert with .float() first)");
  auto mask = reduced_mask(a, dims, "mean");
  int64_t n = reduced_count(a, mask);
  return div(sum(a, dims, keepdim), Scalar(static_cast<double>(n)));
}

Tensor prod(const Tensor& a_in, const Shape& dims, bool keepdim) {
  Tensor a = a_in.dtype() == DType::Bool ? to_dtype(a_in, DType::Int64) : a_in;
  Tensor out = reduce_kernel(ReduceOp::Prod, a, dims, keepdim, a.dtype(), "prod");
  if (any_requires_grad({&a})) {
    auto mask = reduced_mask(a, dims, "prod");
    Tensor o = out.detach();
    attach_grad_fn(
        out, "ProdBackward", {a},
        [a, mask, dims, o](const Tensor& g, const NeedsGrad&) {
          // d prod / d a_i = product of the others: out / a_i where a_i != 0; where a_i is
          // the group's only zero, the product of the non-zeros; otherwise 0.
          Tensor zero = eq(a, scalar_like(0, a));
          Tensor zeros_in_group = expand_back(sum(zero, dims, true), a.shape(), mask);
          Tensor prod_nonzero =
              expand_back(prod(where(zero, ones_like(a), a), dims, true), a.shape(), mask);
          Tensor out_full = expand_back(saved_output(o), a.shape(), mask);
          Tensor safe_a = where(zero, ones_like(a), a);
          Tensor d = where(zero,
                           where(eq(zeros_in_group, scalar_like(1, zeros_in_group)), prod_nonzero,
                                 zeros_like(a)),
                           div(out_full, safe_a));
          return Grads{mul(expand_back(g, a.shape(), mask), d)};
        },
        {a, out});
  }
  return out;
}

namespace {

// amax/amin: the gradient is shared evenly among the tied extremes.
Tensor extreme(const Tensor& a, const Shape& dims, bool keepdim, bool is_max) {
  const char* name = is_max ? "amax" : "amin";
  if (a.dtype() == DType::Bool)  // any / all, as 0 and 1
    return to_dtype(extreme(to_dtype(detach(a), DType::Int64), dims, keepdim, is_max), DType::Bool);
  Tensor out = reduce_kernel(is_max ? ReduceOp::Max : ReduceOp::Min, a, dims, keepdim, a.dtype(), name);
  if (any_requires_grad({&a})) {
    auto mask = reduced_mask(a, dims, name);
    Tensor o = out.detach();
    attach_grad_fn(
        out, is_max ? "AmaxBackward" : "AminBackward", {a},
        [a, o, mask, dims](const Tensor& g, const NeedsGrad&) {
          Tensor hit = to_dtype(eq(a, expand_back(o, a.shape(), mask)), g.dtype());
          Tensor count = expand_back(sum(hit, dims, true), a.shape(), mask);
          return Grads{div(mul(expand_back(g, a.shape(), mask), hit), count)};
        },
        {a, out});
  }
  return out;
}

std::pair<Tensor, Tensor> extreme_dim(const Tensor& a, int64_t dim, bool keepdim, bool is_max) {
  const char* name = is_max ? "max" : "min";
  GLIA_CHECK(a.defined(), Error, name, ": got an undefined tensor");
  if (a.dtype() == DType::Bool) {  // as 0 and 1: the first true (max) or false (min)
    auto [values, indices] = extreme_dim(to_dtype(detach(a), DType::Int64), dim, keepdim, is_max);
    return {to_dtype(values, DType::Bool), indices};
  }
  int64_t d = wrap_dim(dim, a.dim(), name);
  Shape dims{d};
  auto mask = reduced_mask(a, dims, name);
  GLIA_CHECK(a.dim() == 0 || a.shape()[d] > 0, IndexError, name,
             ": cannot reduce over a zero-size dim ", d, " of shape ", a.shape());
  Shape shape = reduced_shape(a, mask, keepdim);
  ReduceLayout L{1, 1, 1};
  Tensor x = contiguous(detach(a));
  for (int64_t k = 0; k < a.dim(); ++k)
    (k < d ? L.outer : (k == d ? L.reduced : L.inner)) *= a.shape()[k];
  Tensor values = Tensor::empty(shape, a.dtype()), indices = Tensor::empty(shape, DType::Int64);
  if (values.numel() > 0) cpu::arg_reduce(is_max, x, L, values, indices);
  if (any_requires_grad({&a})) {
    Shape in_shape = a.shape();
    attach_grad_fn(values, is_max ? "MaxBackward" : "MinBackward", {a},
                   [indices, in_shape, d, keepdim](const Tensor& g, const NeedsGrad&) {
                     if (in_shape.empty()) return Grads{g};
                     Tensor gi = keepdim ? g : unsqueeze(g, d);
                     Tensor ii = keepdim ? indices : unsqueeze(indices, d);
                     return Grads{scatter_add(zeros(in_shape, g.dtype()), d, ii, gi)};
                   });
  }
  return {values, indices};
}

Tensor arg_extreme(const Tensor& a, std::optional<int64_t> dim, bool keepdim, bool is_max) {
  const char* name = is_max ? "argmax" : "argmin";
  GLIA_CHECK(a.defined(), Error, name, ": got an undefined tensor");
  if (dim) wrap_dim(*dim, a.dim(), name);
  GLIA_CHECK(a.numel() > 0 || dim, IndexError, name, ": cannot take the ", name,
             " of an empty tensor");
  if (!dim) {
    Tensor idx = extreme_dim(reshape(detach(a), {-1}), 0, false, is_max).second;
    if (keepdim) return reshape(idx, Shape(a.dim(), 1));
    return idx;
  }
  return extreme_dim(detach(a), *dim, keepdim, is_max).second;
}

}  // namespace

Tensor amax(const Tensor& a, const Shape& dims, bool keepdim) { return extreme(a, dims, keepdim, true); }
Tensor amin(const Tensor& a, const Shape& dims, bool keepdim) { return extreme(a, dims, keepdim, false); }
std::pair<Tensor, Tensor> max(const Tensor& a, int64_t dim, bool keepdim) {
  return extreme_dim(a, dim, keepdim, true);
}
std::pair<Tensor, Tensor> min(const Tensor& a, int64_t dim, bool keepdim) {
  return extreme_dim(a, dim, keepdim, false);
}
Tensor argmax(const Tensor& a, std::optional<int64_t> dim, bool keepdim) {
  return arg_extreme(a, dim, keepdim, true);
}
Tensor argmin(const Tensor& a, std::optional<int64_t> dim, bool keepdim) {
  return arg_extreme(a, dim, keepdim, false);
}

Tensor var(const Tensor& a, const Shape& dims, bool unbiased, bool keepdim) {
  GLIA_CHECK(is_floating(a.dtype()), DTypeError, "var: input dtype must be floating point, got ",
             a.dtype());
  auto mask = reduced_mask(a, dims, "var");
  int64_t n = reduced_count(a, mask);
  Tensor centered = sub(a, mean(a, dims, true));
  double denom = static_cast<double>(n) - (unbiased ? 1.0 : 0.0);
  return div(sum(square(centered), dims, keepdim), Scalar(std::max(denom, 0.0)));
}

Tensor std(const Tensor& a, const Shape& dims, bool unbiased, bool keepdim) {
  GLIA_CHECK(is_floating(a.dtype()), DTypeError, "std: input dtype must be floating point, got ",
             a.dtype());
  reduced_mask(a, dims, "std");
  Tensor v = var(a, dims, unbiased, keepdim);
  Tensor out = sqrt(detach(v));
  if (any_requires_grad({&v})) {
    Tensor o = out.detach();
    attach_grad_fn(
        out, "StdBackward", {v},
        [o](const Tensor& g, const NeedsGrad&) {
          // d sqrt(v) = g / (2 sqrt(v)), taken as 0 where the spread is 0 (as PyTorch)
          Tensor s = saved_output(o);
          Tensor zero = eq(s, scalar_like(0, s));
          return Grads{where(zero, zeros_like(g), div(g, mul(where(zero, ones_like(s), s), 2)))};
        },
        {out});
  }
  return out;
}

Tensor logsumexp(const Tensor& a, const Shape& dims, bool keepdim) {
  GLIA_CHECK(a.defined(), Error, "logsumexp: got an undefined tensor");
  reduced_mask(a, dims, "logsumexp");
  Tensor x = is_floating(a.dtype()) ? a : to_dtype(a, DType::Float32);
  if (x.numel() == 0) return log(sum(exp(x), dims, keepdim));
  // Shift by the (constant) max for stability; infinite maxima shift by 0.
  Tensor m = amax(detach(x), dims, true);
  m = where(logical_not(isnan(sub(m, m))), m, zeros_like(m));
  Tensor out = add(log(sum(exp(sub(x, m)), dims, true)), m);
  if (!keepdim) {
    auto mask = reduced_mask(x, dims, "logsumexp");
    out = reshape(out, reduced_shape(x, mask, false));
  }
  return out;
}

Tensor norm(const Tensor& a, double p, const Shape& dims, bool keepdim) {
  GLIA_CHECK(a.defined(), Error, "norm: got an undefined tensor");
  GLIA_CHECK(is_floating(a.dtype()), DTypeError, "norm: input dtype must be floating point, got ",
             a.dtype());
  auto mask = reduced_mask(a, dims, "norm");
  if (std::isinf(p)) return p > 0 ? amax(abs(a), dims, keepdim) : amin(abs(a), dims, keepdim);
  if (p == 1.0) return sum(abs(a), dims, keepdim);
  Tensor out;
  {
    NoGradGuard ng;
    if (p == 0.0) out = sum(to_dtype(ne(a, scalar_like(0, a)), a.dtype()), dims, keepdim);
    else if (p == 2.0) out = sqrt(sum(square(a), dims, keepdim));
    else out = pow(sum(pow(abs(a), Scalar(p)), dims, keepdim), Scalar(1.0 / p));
  }
  if (any_requires_grad({&a})) {
    Tensor o = out.detach();
    attach_grad_fn(
        out, "NormBackward", {a},
        [a, o, mask, p](const Tensor& g, const NeedsGrad&) {
          if (p == 0.0) return Grads{zeros_like(a)};  // a count: flat almost everywhere
          // d||a||_p / da = sign(a) |a|^(p-1) / ||a||^(p-1), taken as 0 where the norm is 0
          Tensor n = expand_back(saved_output(o), a.shape(), mask);
          Tensor zero = eq(n, scalar_like(0, n));
          Tensor safe = where(zero, ones_like(n), n);
          Tensor d = p == 2.0 ? div(a, safe)
                              : mul(sign(a), pow(div(abs(a), safe), Scalar(p - 1.0)));
          // p < 1: |a|^(p-1) is infinite at a == 0, where the gradient is 0 (as PyTorch)
          if (p < 1.0) d = where(eq(a, scalar_like(0, a)), zeros_like(d), d);
          return Grads{mul(expand_back(g, a.shape(), mask), where(zero, zeros_like(d), d))};
        },
        {a, out});
  }
  return out;
}

namespace {

Tensor softmax_impl(const Tensor& a_in, int64_t dim, bool log) {
  const char* name = log ? "log_softmax" : "softmax";
  GLIA_CHECK(a_in.defined(), Error, name, ": got an undefined tensor");
  Tensor a = is_floating(a_in.dtype()) ? a_in : to_dtype(a_in, DType::Float32);
  int64_t d = wrap_dim(dim, a.dim(), name);
  int64_t last = std::max<int64_t>(a.dim() - 1, 0);
  Tensor moved = a.dim() == 0 ? reshape(detach(a), {1}) : contiguous(movedim(detach(a), d, last));
  int64_t n = moved.numel() == 0 ? 0 : moved.shape().back();
  Tensor y = Tensor::empty(moved.shape(), a.dtype());
  if (moved.numel() > 0) cpu::softmax_rows(moved, moved.numel() / n, n, log, y);
  Tensor out = a.dim() == 0 ? reshape(y, {}) : movedim(y, last, d);
  out = detach(out);
  if (any_requires_grad({&a})) {
    Tensor o = out.detach();
    attach_grad_fn(
        out, log ? "LogSoftmaxBackward" : "SoftmaxBackward", {a},
        [o, d, log](const Tensor& g, const NeedsGrad&) {
          Tensor y = saved_output(o);
          if (log)  // g - softmax * sum(g)
            return Grads{sub(g, mul(exp(y), sum(g, {d}, true)))};
          return Grads{mul(y, sub(g, sum(mul(g, y), {d}, true)))};
        },
        {out});
  }
  return out;
}

}  // namespace

Tensor softmax(const Tensor& a, int64_t dim) { return softmax_impl(a, dim, false); }
Tensor log_softmax(const Tensor& a, int64_t dim) { return softmax_impl(a, dim, true); }

Tensor all(const Tensor& a, const Shape& dims, bool keepdim) {
  return reduce_kernel(ReduceOp::All, detach(a), dims, keepdim, DType::Bool, "all");
}

Tensor any(const Tensor& a, const Shape& dims, bool keepdim) {
  return reduce_kernel(ReduceOp::Any, detach(a), dims, keepdim, DType::Bool, "any");
}

}  // namespace glia
