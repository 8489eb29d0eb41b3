// The affine layer as one op: x @ weight^T + bias, with one graph node.
#include "check.h"
#include "cpu/linalg.h"
#include "glia/autograd.h"
#include "glia/nn/functional.h"
#include "glia/ops.h"

namespace glia::nn {

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  GLIA_CHECK(x.defined() && weight.defined(), Error, "linear: got an undefined tensor");
  GLIA_CHECK(weight.dim() == 2, ShapeError, "linear: weight must be 2-D (out, in), got shape ",
             weight.shape());
  GLIA_CHECK(x.dim() >= 1 && x.shape().back() == weight.shape()[1], ShapeError,
             "linear: input of shape ", x.shape(), " does not match weight of shape ",
             weight.shape(), " (", x.dim() ? x.shape().back() : 0, " != ", weight.shape()[1], ")");
  GLIA_CHECK(x.dtype() == weight.dtype(), DTypeError, "linear: input is ", x.dtype(),
             " but weight is ", weight.dtype());
  GLIA_CHECK(is_floating(x.dtype()), DTypeError, "linear: expects floating-point input, got ",
             x.dtype());
  const int64_t out_f = weight.shape()[0], in_f = weight.shape()[1];
  if (bias.defined())
    GLIA_CHECK(bias.shape() == Shape{out_f} && bias.dtype() == x.dtype(), ShapeError,
               "linear: bias must have shape (", out_f, ",) and dtype ", x.dtype(), ", got ",
               bias.shape(), " ", bias.dtype());
  Shape out_shape = x.shape();
  out_shape.back() = out_f;
  int64_t rows = 1;  // the leading dims (not numel / in_f: in_f may be 0)
  for (int64_t k = 0; k + 1 < x.dim(); ++k) rows *= x.shape()[k];
  Tensor x3 = reshape(detach(x), {1, rows, in_f});
  Tensor wt = unsqueeze(transpose(detach(weight), 0, 1), 0);
  Tensor out = Tensor::empty({1, rows, out_f}, x.dtype());
  if (bias.defined() && rows > 0) {
    out = clone(expand(detach(bias), {1, rows, out_f}));  // a copy even for one row: bmm adds into it
    cpu::bmm(x3, wt, out, /*accumulate=*/true);
  } else {
    cpu::bmm(x3, wt, out);
  }
  out = reshape(out, out_shape);
  if (any_requires_grad({&x, &weight, &bias})) {
    Shape in_shape = x.shape();
    attach_grad_fn(
        out, "LinearBackward", {x, weight, bias},
        [x, weight, in_f, out_f, in_shape, rows](const Tensor& g, const NeedsGrad& n) {
          Tensor g2 = reshape(g, {rows, out_f});  // explicit rows: -1 is ambiguous at size 0
          Tensor gx, gw, gb;
          if (n[0]) gx = reshape(matmul(g2, weight), in_shape);
          if (n[1]) gw = matmul(transpose(g2, 0, 1), reshape(x, {rows, in_f}));
          if (n[2]) gb = sum(g2, {0});
          return Grads{gx, gw, gb};
        },
        {x, weight});
  }
  return out;
}

}  // namespace glia::nn
