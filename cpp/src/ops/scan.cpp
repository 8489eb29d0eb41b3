// Running reductions along a dim (cumsum, cumprod, cummax, cummin, logcumsumexp), each
// with its backward.
#include "cpu/scan.h"

#include <cmath>

#include "check.h"
#include "glia/autograd.h"
#include "glia/ops.h"

namespace glia {

using cpu::ReduceLayout;
using cpu::ScanOp;

namespace {

ReduceLayout layout_along(const Tensor& a, int64_t d) {
  ReduceLayout L{1, 1, 1};
  for (int64_t k = 0; k < a.dim(); ++k)
    (k < d ? L.outer : (k == d ? L.reduced : L.inner)) *= a.shape()[k];
  return L;
}

// The input as the scan reads it: bool counts as int64 (sums and products of flags).
Tensor scan_input(const Tensor& a, const char* op) {
  GLIA_CHECK(a.defined(), Error, op, ": got an undefined tensor");
  return a.dtype() == DType::Bool ? to_dtype(a, DType::Int64) : a;
}

// Reverses a running sum: out_i = sum_{j >= i} g_j along d.
Tensor reverse_cumsum(const Tensor& g, int64_t d) { return flip(cumsum(flip(g, {d}), d), {d}); }

std::pair<Tensor, Tensor> cum_extreme(const Tensor& a_in, int64_t dim, ScanOp op, const char* name) {
  if (a_in.defined() && a_in.dtype() == DType::Bool) {  // bool in, bool out
    auto [values, indices] = cum_extreme(to_dtype(a_in, DType::Int64), dim, op, name);
    return {to_dtype(values, DType::Bool), indices};
  }
  Tensor a = scan_input(a_in, name);
  const int64_t d = wrap_dim(dim, a.dim(), name);
  Tensor x = contiguous(detach(a));
  Tensor values = Tensor::empty(a.shape(), a.dtype());
  Tensor indices = Tensor::empty(a.shape(), DType::Int64);
  cpu::scan(op, x, layout_along(a, d), values, indices);
  if (any_requires_grad({&a})) {
    // each input gets the gradients of the outputs it was the running extreme of
    attach_grad_fn(values, op == ScanOp::Max ? "CummaxBackward" : "CumminBackward", {a},
                   [d, indices, shape = a.shape()](const Tensor& g, const NeedsGrad&) {
      if (g.dim() == 0) return Grads{g};
      return Grads{scatter_add(zeros(shape, g.dtype()), d, indices, g)};
    }, {indices});  // returned to the caller: changing them in place is caught
  }
  return {values, indices};
}

}  // namespace

Tensor cumsum(const Tensor& a_in, int64_t dim) {
  Tensor a = scan_input(a_in, "cumsum");
  const int64_t d = wrap_dim(dim, a.dim(), "cumsum");
  Tensor out = Tensor::empty(a.shape(), a.dtype());
  cpu::scan(ScanOp::Sum, contiguous(detach(a)), layout_along(a, d), out);
  if (any_requires_grad({&a})) {
    attach_grad_fn(out, "CumsumBackward", {a}, [d](const Tensor& g, const NeedsGrad&) {
      if (g.dim() == 0) return Grads{g};
      return Grads{reverse_cumsum(g, d)};  // each input feeds every later output
    });
  }
  return out;
}

Tensor cumprod(const Tensor& a_in, int64_t dim) {
  Tensor a = scan_input(a_in, "cumprod");
  const int64_t d = wrap_dim(dim, a.dim(), "cumprod");
  Tensor x = contiguous(detach(a));
  Tensor out = Tensor::empty(a.shape(), a.dtype());
  const ReduceLayout L = layout_along(a, d);
  cpu::scan(ScanOp::Prod, x, L, out);
  if (any_requires_grad({&a})) {
    // a fused kernel: zeros in the input make the closed form grad * out / x fail
    attach_grad_fn(out, "CumprodBackward", {a}, [x, o = out.detach(), L](const Tensor& g,
                                                                          const NeedsGrad&) {
      Tensor gc = contiguous(g);
      Tensor grad = Tensor::empty(x.shape(), x.dtype());
      cpu::cumprod_backward(x, o, gc, L, grad);
      return Grads{grad};
    }, {a, out}, Backward::Kernel);
  }
  return out;
}

std::pair<Tensor, Tensor> cummax(const Tensor& a, int64_t dim) {
  return cum_extreme(a, dim, ScanOp::Max, "cummax");
}

std::pair<Tensor, Tensor> cummin(const Tensor& a, int64_t dim) {
  return cum_extreme(a, dim, ScanOp::Min, "cummin");
}

Tensor logcumsumexp(const Tensor& a_in, int64_t dim) {
  GLIA_CHECK(a_in.defined(), Error, "logcumsumexp: got an undefined tensor");
  Tensor a = is_floating(a_in.dtype()) ? a_in : to_dtype(a_in, DType::Float32);
  const int64_t d = wrap_dim(dim, a.dim(), "logcumsumexp");
  Tensor out = Tensor::empty(a.shape(), a.dtype());
  cpu::scan(ScanOp::LogSumExp, contiguous(detach(a)), layout_along(a, d), out);
  if (any_requires_grad({&a})) {
    // grad_i = sum_{j>=i} g_j exp(x_i - out_j), summed in log space for the positive and
    // the negative parts of g separately so nothing overflows (as PyTorch and TensorFlow)
    attach_grad_fn(out, "LogcumsumexpBackward", {a}, [a, o = out.detach(), d](const Tensor& g,
                                                                              const NeedsGrad&) {
      if (g.dim() == 0) return Grads{g};
      Tensor out_ = saved_output(o);
      // the lowest finite value rather than -inf, so that differences of two stay finite
      // and the backward of this backward has no nan (as PyTorch)
      const double lowest = g.dtype() == DType::Float32 ? -3.4028234663852886e38
                                                         : -1.7976931348623157e308;
      Tensor ninf = full({}, Scalar(lowest), g.dtype());
      Tensor zero = zeros({}, g.dtype());
      auto part = [&](const Tensor& mask, const Tensor& mag) {
        Tensor log_g = where(mask, log(where(mask, mag, ones({}, g.dtype()))), ninf);
        Tensor rev = flip(logcumsumexp(flip(sub(log_g, out_), {d}), d), {d});
        return exp(add(rev, a));
      };
      return Grads{sub(part(gt(g, zero), g), part(lt(g, zero), neg(g)))};
    }, {a, out});
  }
  return out;
}

}  // namespace glia
