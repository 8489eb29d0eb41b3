// Batch and layer normalization as fused ops with their own backward.
#include "cpu/norm.h"

#include <cmath>

#include "check.h"
#include "dispatch.h"
#include "glia/autograd.h"
#include "glia/nn/functional.h"
#include "glia/ops.h"
#include "ops/operands.h"

namespace glia::nn {

namespace {

}  // namespace

Tensor batch_norm(const Tensor& x_in, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight, const Tensor& bias, bool training, double momentum,
                  double eps) {
  GLIA_CHECK(x_in.defined(), Error, "batch_norm: got an undefined tensor");
  GLIA_CHECK(x_in.dim() >= 2, ShapeError, "batch_norm: input must have at least 2 dims (N, C, ...), got shape ",
             x_in.shape());
  GLIA_CHECK(is_floating(x_in.dtype()), DTypeError, "batch_norm: expects floating-point input, got ",
             x_in.dtype());
  const int64_t N = x_in.shape()[0], C = x_in.shape()[1], S = x_in.numel() / std::max<int64_t>(N * C, 1);
  for (auto* p : {&weight, &bias, &running_mean, &running_var})
    check_param(*p, {C}, x_in.dtype(), "batch_norm", "weight, bias and running statistics");
  GLIA_CHECK(training || (running_mean.defined() && running_var.defined()), Error,
             "batch_norm: running_mean and running_var must be given in evaluation mode");
  const bool batch_stats = training;
  GLIA_CHECK(!batch_stats || N * S > 1, ShapeError,
             "batch_norm: expected more than 1 value per channel when training, got input shape ",
             x_in.shape());
  GLIA_CHECK(batch_stats || running_var.defined(), Error,
             "batch_norm: running_var is needed with running_mean in eval mode");
  Tensor x = contiguous(detach(x_in)), w = kernel_operand(weight), b = kernel_operand(bias);
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  Tensor mean = Tensor::empty({C}, x.dtype()), invstd = Tensor::empty({C}, x.dtype()),
         var = Tensor::empty({C}, x.dtype());
  {
    NoGradGuard ng;
    if (!batch_stats) {
      mean.copy_(running_mean);
      invstd.copy_(rsqrt(add(running_var, Scalar(eps))));
    }
  }
  dispatch_float(x.dtype(), "batch_norm", [&](auto tag) {
    using T = typename decltype(tag)::type;
    cpu::batch_norm_forward<T>(x.data<T>(), N, C, S, ptr_or_null<T>(w), ptr_or_null<T>(b),
                               mean.data<T>(), invstd.data<T>(), batch_stats, eps, var.data<T>(),
                               y.data<T>());
  });
  if (training && running_mean.defined()) {
    NoGradGuard ng;
    const double M = double(N * S);
    Tensor rm = running_mean, rv = running_var;
    rm.mul_(1 - momentum).add_(mean, momentum);
    if (rv.defined()) rv.mul_(1 - momentum).add_(var, momentum * M / std::max(M - 1, 1.0));
  }
  if (any_requires_grad({&x_in, &weight, &bias})) {
    attach_grad_fn(
        y, "BatchNormBackward", {x_in, weight, bias},
        [x, w, mean, invstd, N, C, S, batch_stats](const Tensor& g_in, const NeedsGrad& n) {
          Tensor g = contiguous(detach(g_in));
          Tensor gx = n[0] ? Tensor::empty(x.shape(), x.dtype()) : Tensor();
          Tensor gw = n[1] ? Tensor::empty({C}, x.dtype()) : Tensor();
          Tensor gb = n[2] ? Tensor::empty({C}, x.dtype()) : Tensor();
          dispatch_float(x.dtype(), "batch_norm", [&](auto tag) {
            using T = typename decltype(tag)::type;
            auto out = [](Tensor& t) { return t.defined() ? t.data<T>() : nullptr; };
            cpu::batch_norm_backward<T>(g.data<T>(), x.data<T>(), N, C, S, ptr_or_null<T>(w),
                                        mean.data<T>(), invstd.data<T>(), batch_stats, out(gx),
                                        out(gw), out(gb));
          });
          return Grads{gx, gw, gb};
        },
        {x_in, weight}, Backward::Kernel);
  }
  return y;
}

Tensor layer_norm(const Tensor& x_in, int64_t normalized_ndim, const Tensor& weight,
                  const Tensor& bias, double eps) {
  GLIA_CHECK(x_in.defined(), Error, "layer_norm: got an undefined tensor");
  GLIA_CHECK(normalized_ndim >= 1 && normalized_ndim <= x_in.dim(), ShapeError,
             "layer_norm: cannot normalize the last ", normalized_ndim, " dims of shape ",
             x_in.shape());
  GLIA_CHECK(is_floating(x_in.dtype()), DTypeError, "layer_norm: expects floating-point input, got ",
             x_in.dtype());
  Shape norm_shape(x_in.shape().end() - normalized_ndim, x_in.shape().end());
  check_param(weight, norm_shape, x_in.dtype(), "layer_norm", "weight");
  check_param(bias, norm_shape, x_in.dtype(), "layer_norm", "bias");
  const int64_t D = shape_numel(norm_shape), rows = x_in.numel() / std::max<int64_t>(D, 1);
  Tensor x = contiguous(detach(x_in)), w = kernel_operand(weight), b = kernel_operand(bias);
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  Tensor mean = Tensor::empty({rows}, x.dtype()), rstd = Tensor::empty({rows}, x.dtype());
  dispatch_float(x.dtype(), "layer_norm", [&](auto tag) {
    using T = typename decltype(tag)::type;
    cpu::layer_norm_forward<T>(x.data<T>(), rows, D, ptr_or_null<T>(w), ptr_or_null<T>(b),
                               eps, mean.data<T>(), rstd.data<T>(), y.data<T>());
  });
  if (any_requires_grad({&x_in, &weight, &bias})) {
    attach_grad_fn(
        y, "LayerNormBackward", {x_in, weight, bias},
        [x, w, mean, rstd, rows, D, norm_shape](const Tensor& g_in, const NeedsGrad& n) {
          Tensor g = contiguous(detach(g_in));
          Tensor gx = n[0] ? Tensor::empty(x.shape(), x.dtype()) : Tensor();
          Tensor gw = n[1] ? Tensor::empty(norm_shape, x.dtype()) : Tensor();
          Tensor gb = n[2] ? Tensor::empty(norm_shape, x.dtype()) : Tensor();
          dispatch_float(x.dtype(), "layer_norm", [&](auto tag) {
            using T = typename decltype(tag)::type;
            auto out = [](Tensor& t) { return t.defined() ? t.data<T>() : nullptr; };
            cpu::layer_norm_backward<T>(g.data<T>(), x.data<T>(), rows, D, ptr_or_null<T>(w),
                                        mean.data<T>(), rstd.data<T>(), out(gx), out(gw), out(gb));
          });
          return Grads{gx, gw, gb};
        },
        {x_in, weight}, Backward::Kernel);
  }
  return y;
}

}  // namespace glia::nn
