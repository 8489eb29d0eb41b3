// Convolution and transposed convolution (1-3 spatial dims) with their own backward.
#include "cpu/conv.h"

#include "check.h"
#include "dispatch.h"
#include "glia/autograd.h"
#include "glia/nn/functional.h"
#include "glia/ops.h"
#include "ops/operands.h"

namespace glia::nn {

namespace {

// Spatial settings right-aligned into the kernels' 3-D layout.
std::array<int64_t, 3> to3(const Shape& v, int64_t nd, int64_t fill) {
  std::array<int64_t, 3> a{fill, fill, fill};
  for (int64_t i = 0; i < nd; ++i) a[3 - nd + i] = v[i];
  return a;
}

void check_settings(const std::string& op, int64_t nd, const Shape& stride, const Shape& padding,
                    const Shape& dilation, int64_t groups) {
  GLIA_CHECK(static_cast<int64_t>(stride.size()) == nd && static_cast<int64_t>(padding.size()) == nd &&
                 static_cast<int64_t>(dilation.size()) == nd,
             ShapeError, op, ": stride, padding and dilation need ", nd, " values each");
  for (int64_t i = 0; i < nd; ++i) {
    GLIA_CHECK(stride[i] > 0, ShapeError, op, ": stride must be positive, got ", stride);
    GLIA_CHECK(padding[i] >= 0, ShapeError, op, ": padding must be non-negative, got ", padding);
    GLIA_CHECK(dilation[i] > 0, ShapeError, op, ": dilation must be positive, got ", dilation);
  }
  GLIA_CHECK(groups > 0, ShapeError, op, ": groups must be positive, got ", groups);
}

template <class F>
void run_float(DType d, const std::string& op, const F& f) {
  dispatch_float(d, op.c_str(), [&](auto tag) { f(typename decltype(tag)::type{}); });
}

// Batch, channels, groups and the kernel settings; callers fill in the spatial sizes.
cpu::ConvParams conv_params(const Tensor& x, const Tensor& weight, int64_t nd, int64_t C, int64_t O,
                            int64_t groups, const Shape& stride, const Shape& padding,
                            const Shape& dilation) {
  cpu::ConvParams p;
  p.N = x.shape()[0];
  p.C = C;
  p.O = O;
  p.groups = groups;
  p.k = to3(Shape(weight.shape().begin() + 2, weight.shape().end()), nd, 1);
  p.stride = to3(stride, nd, 1);
  p.pad = to3(padding, nd, 0);
  p.dil = to3(dilation, nd, 1);
  return p;
}

Tensor bias_grad(const Tensor& g) {
  Shape dims{0};
  for (int64_t d = 2; d < g.dim(); ++d) dims.push_back(d);
  return sum(g, dims);
}

}  // namespace

Tensor conv(const Tensor& x_in, const Tensor& weight, const Tensor& bias, const Shape& stride,
            const Shape& padding, const Shape& dilation, int64_t groups) {
  GLIA_CHECK(x_in.defined() && weight.defined(), Error, "conv: got an undefined tensor");
  const int64_t nd = weight.dim() - 2;
  GLIA_CHECK(nd >= 1 && nd <= 3, ShapeError, "conv: weight must be 3-D to 5-D (O, C/groups, *kernel), got shape ",
             weight.shape());
  const std::string op = nd_op_name("conv", nd);
  check_settings(op, nd, stride, padding, dilation, groups);
  GLIA_CHECK(x_in.dim() == nd + 2 || x_in.dim() == nd + 1, ShapeError, op, ": input must be ", nd + 1, "-D or ",
             nd + 2, "-D, got shape ", x_in.shape());
  GLIA_CHECK(x_in.dtype() == weight.dtype() && is_floating(x_in.dtype()), DTypeError, op,
             ": input (", x_in.dtype(), ") and weight (", weight.dtype(), ") must share a floating dtype");
  const bool unbatched = x_in.dim() == nd + 1;
  Tensor x = unbatched ? unsqueeze(x_in, 0) : x_in;
  const int64_t C = x.shape()[1], O = weight.shape()[0];
  GLIA_CHECK(C % groups == 0 && O % groups == 0, ShapeError, op, ": in_channels (", C, ") and out_channels (",
             O, ") must be divisible by groups (", groups, ")");
  GLIA_CHECK(weight.shape()[1] * groups == C, ShapeError, op, ": weight of shape ", weight.shape(),
             " expects ", weight.shape()[1] * groups, " input channels, got input of shape ", x_in.shape());
  check_param(bias, {O}, x.dtype(), op.c_str(), "bias");
  cpu::ConvParams p = conv_params(x, weight, nd, C, O, groups, stride, padding, dilation);
  Shape in(x.shape().begin() + 2, x.shape().end()), k(weight.shape().begin() + 2, weight.shape().end());
  p.in = to3(in, nd, 1);
  Shape out_shape{p.N, O};
  for (int d = 3 - int(nd); d < 3; ++d) {
    int64_t span = p.dil[d] * (p.k[d] - 1) + 1, padded = p.in[d] + 2 * p.pad[d];
    GLIA_CHECK(span <= padded, ShapeError, op, ": kernel size ", k, " (dilated to ", span,
               ") is larger than the padded input ", in, " + 2 * padding ", padding);
    p.out[d] = (padded - span) / p.stride[d] + 1;
    out_shape.push_back(p.out[d]);
  }
  Tensor xc = contiguous(detach(x)), wc = contiguous(detach(weight)), bc = kernel_operand(bias);
  Tensor y = Tensor::empty(out_shape, x.dtype());
  if (y.numel() > 0)
    run_float(x.dtype(), op, [&](auto zero) {
      using T = decltype(zero);
      cpu::conv_forward<T>(xc.data<T>(), wc.data<T>(), ptr_or_null<T>(bc), y.data<T>(), p);
    });
  if (any_requires_grad({&x, &weight, &bias})) {
    attach_grad_fn(
        y, "ConvolutionBackward", {x, weight, bias},
        [xc, wc, p, op](const Tensor& g_in, const NeedsGrad& n) {
          Tensor g = contiguous(detach(g_in));
          Tensor gx = n[0] ? Tensor::empty(xc.shape(), xc.dtype()) : Tensor();
          Tensor gw = n[1] ? Tensor::empty(wc.shape(), wc.dtype()) : Tensor();
          run_float(g.dtype(), op, [&](auto zero) {
            using T = decltype(zero);
            if (n[0]) cpu::conv_backward_input<T>(g.data<T>(), wc.data<T>(), gx.data<T>(), p);
            if (n[1]) cpu::conv_backward_weight<T>(g.data<T>(), xc.data<T>(), gw.data<T>(), p);
          });
          return Grads{gx, gw, n[2] ? bias_grad(g) : Tensor()};
        },
        {x, weight}, Backward::Kernel);
  }
  return unbatched ? squeeze(y, 0) : y;
}

Tensor conv_transpose(const Tensor& x_in, const Tensor& weight, const Tensor& bias, const Shape& stride,
                      const Shape& padding, const Shape& output_padding, const Shape& dilation,
                      int64_t groups) {
  GLIA_CHECK(x_in.defined() && weight.defined(), Error, "conv_transpose: got an undefined tensor");
  const int64_t nd = weight.dim() - 2;
  GLIA_CHECK(nd >= 1 && nd <= 3, ShapeError,
             "conv_transpose: weight must be 3-D to 5-D (C_in, C_out/groups, *kernel), got shape ", weight.shape());
  const std::string op = nd_op_name("conv_transpose", nd);
  check_settings(op, nd, stride, padding, dilation, groups);
  GLIA_CHECK(static_cast<int64_t>(output_padding.size()) == nd, ShapeError, op, ": output_padding needs ", nd,
             " values");
  GLIA_CHECK(x_in.dim() == nd + 2 || x_in.dim() == nd + 1, ShapeError, op, ": input must be ", nd + 1, "-D or ",
             nd + 2, "-D, got shape ", x_in.shape());
  GLIA_CHECK(x_in.dtype() == weight.dtype() && is_floating(x_in.dtype()), DTypeError, op,
             ": input (", x_in.dtype(), ") and weight (", weight.dtype(), ") must share a floating dtype");
  const bool unbatched = x_in.dim() == nd + 1;
  Tensor x = unbatched ? unsqueeze(x_in, 0) : x_in;
  const int64_t Cin = x.shape()[1];
  GLIA_CHECK(weight.shape()[0] == Cin && Cin % groups == 0, ShapeError, op, ": weight of shape ", weight.shape(),
             " does not fit input of shape ", x_in.shape(), " with groups ", groups);
  const int64_t Cout = weight.shape()[1] * groups;
  check_param(bias, {Cout}, x.dtype(), op.c_str(), "bias");
  // A transposed convolution is the input-gradient of the convolution that maps its
  // output back to its input: conv with C = Cout and O = Cin.
  cpu::ConvParams p = conv_params(x, weight, nd, Cout, Cin, groups, stride, padding, dilation);
  Shape in_t(x.shape().begin() + 2, x.shape().end());
  p.out = to3(in_t, nd, 1);
  auto op3 = to3(output_padding, nd, 0);
  Shape out_shape{p.N, Cout};
  for (int d = 3 - int(nd); d < 3; ++d) {
    GLIA_CHECK(op3[d] >= 0, ShapeError, op, ": output_padding must be non-negative, got ", output_padding);
    GLIA_CHECK(op3[d] < p.stride[d] || op3[d] < p.dil[d], ShapeError, op, ": output_padding ", output_padding,
               " must be smaller than stride or dilation");
    p.in[d] = (p.out[d] - 1) * p.stride[d] - 2 * p.pad[d] + p.dil[d] * (p.k[d] - 1) + op3[d] + 1;
    GLIA_CHECK(p.in[d] > 0, ShapeError, op, ": the output size would be ", p.in[d], " for input ", in_t);
    out_shape.push_back(p.in[d]);
  }
  Tensor xc = contiguous(detach(x)), wc = contiguous(detach(weight));
  Tensor y = Tensor::empty(out_shape, x.dtype());
  if (y.numel() > 0)
    run_float(x.dtype(), op, [&](auto zero) {
      using T = decltype(zero);
      cpu::conv_backward_input<T>(xc.data<T>(), wc.data<T>(), y.data<T>(), p);
    });
  if (bias.defined()) {
    NoGradGuard ng;
    Shape bshape(out_shape.size(), 1);
    bshape[1] = Cout;
    y.add_(reshape(detach(bias), bshape));
  }
  if (any_requires_grad({&x, &weight, &bias})) {
    attach_grad_fn(
        y, "ConvTransposeBackward", {x, weight, bias},
        [xc, wc, p, op](const Tensor& g_in, const NeedsGrad& n) {
          Tensor g = contiguous(detach(g_in));
          Tensor gx = n[0] ? Tensor::empty(xc.shape(), xc.dtype()) : Tensor();
          Tensor gw = n[1] ? Tensor::empty(wc.shape(), wc.dtype()) : Tensor();
          run_float(g.dtype(), op, [&](auto zero) {
            using T = decltype(zero);
            if (n[0]) cpu::conv_forward<T>(g.data<T>(), wc.data<T>(), nullptr, gx.data<T>(), p);
            if (n[1]) cpu::conv_backward_weight<T>(xc.data<T>(), g.data<T>(), gw.data<T>(), p);
          });
          return Grads{gx, gw, n[2] ? bias_grad(g) : Tensor()};
        },
        {x, weight}, Backward::Kernel);
  }
  return unbatched ? squeeze(y, 0) : y;
}

}  // namespace glia::nn
