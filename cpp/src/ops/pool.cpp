// Max, average and adaptive pooling (1-3 spatial dims) with their own backward.
#include "cpu/pool.h"

#include <cmath>

#include "check.h"
#include "dispatch.h"
#include "glia/autograd.h"
#include "glia/nn/functional.h"
#include "glia/ops.h"

namespace glia::nn {

namespace {

// The input as (planes, *in) plus the shape the output gets back.
struct Planes {
  Tensor x;
  Shape lead;  // N, C or just C
  int64_t nd;
};

Planes planes_of(const Tensor& x, size_t nd, const std::string& op) {
  GLIA_CHECK(x.defined(), Error, op, ": got an undefined tensor");
  GLIA_CHECK(x.dim() == int64_t(nd) + 1 || x.dim() == int64_t(nd) + 2, ShapeError, op, ": input must be ",
             nd + 1, "-D or ", nd + 2, "-D, got shape ", x.shape());
  GLIA_CHECK(is_floating(x.dtype()), DTypeError, op, ": expects floating-point input, got ", x.dtype());
  for (int64_t d = x.dim() - int64_t(nd); d < x.dim(); ++d)
    GLIA_CHECK(x.shape()[d] > 0, ShapeError, op, ": spatial dims must be non-empty, got shape ", x.shape());
  Planes p;
  p.nd = int64_t(nd);
  p.lead = Shape(x.shape().begin(), x.shape().end() - nd);
  p.x = contiguous(detach(x));
  return p;
}

void fill_in_out(cpu::PoolWindows& w, const Planes& p, const Shape& out) {
  w.planes = shape_numel(p.lead);
  for (int d = 0; d < 3; ++d) {
    int64_t src = d - (3 - p.nd);
    w.in[d] = src >= 0 ? p.x.shape()[p.lead.size() + src] : 1;
    w.out[d] = src >= 0 ? out[src] : 1;
    if (src < 0) {  // an unused dim: one window covering its single element
      w.start[d] = {0};
      w.end[d] = {1};
      w.step[d] = {1};
      w.divisor[d] = {1.0};
    }
  }
}

// PyTorch's rule: floor((span [+ s - 1 in ceil_mode]) / s) + 1 windows, rounding down also
// below zero, so that in ceil_mode a kernel larger than the padded input still gives the window
// that starts at its first element.
int64_t pooled_size(int64_t in, int64_t k, int64_t s, int64_t pad, int64_t dil, bool ceil_mode) {
  const int64_t span = in + 2 * pad - dil * (k - 1) - 1 + (ceil_mode ? s - 1 : 0);
  int64_t out = span / s - (span % s != 0 && span < 0 ? 1 : 0) + 1;
  if (ceil_mode && (out - 1) * s >= in + pad) --out;  // the last window must start inside
  return std::max<int64_t>(out, 0);
}

Shape out_shape_of(const Planes& p, const cpu::PoolWindows& w) {
  Shape s = p.lead;
  for (int d = 3 - int(p.nd); d < 3; ++d) s.push_back(w.out[d]);
  return s;
}

// Regular windows: kernel k, stride s, padding, dilation along each pooled dim.
cpu::PoolWindows regular_windows(const Planes& p, const Shape& k, const Shape& stride_in, const Shape& pad,
                                 const Shape& dil, bool ceil_mode, bool is_max, bool count_include_pad,
                                 const std::string& op) {
  const size_t nd = size_t(p.nd);
  Shape stride = stride_in.empty() ? k : stride_in;
  GLIA_CHECK(k.size() == nd && stride.size() == nd && pad.size() == nd && dil.size() == nd, ShapeError, op,
             ": kernel_size, stride, padding and dilation need ", nd, " values each");
  Shape out(nd);
  for (size_t i = 0; i < nd; ++i) {
    GLIA_CHECK(k[i] > 0 && stride[i] > 0 && dil[i] > 0 && pad[i] >= 0, ShapeError, op,
               ": kernel_size, stride and dilation must be positive and padding non-negative, got kernel ", k,
               ", stride ", stride, ", padding ", pad, ", dilation ", dil);
    // PyTorch's rule for max and average pooling alike: half the kernel, whatever the dilation
    GLIA_CHECK(pad[i] * 2 <= k[i], ShapeError, op, ": padding ", pad,
               " should be at most half of the kernel size ", k);
    out[i] = pooled_size(p.x.shape()[p.lead.size() + i], k[i], stride[i], pad[i], dil[i], ceil_mode);
    GLIA_CHECK(out[i] > 0, ShapeError, op, ": kernel ", k, " is larger than the padded input ",
               Shape(p.x.shape().end() - nd, p.x.shape().end()));
  }
  cpu::PoolWindows w;
  fill_in_out(w, p, out);
  for (size_t i = 0; i < nd; ++i) {
    int d = int(3 - nd + i);
    for (int64_t o = 0; o < out[i]; ++o) {
      int64_t start = o * stride[i] - pad[i];
      if (is_max) {
        int64_t end = std::min(start + (k[i] - 1) * dil[i] + 1, w.in[d]);
        while (start < 0) start += dil[i];
        w.start[d].push_back(start);
        w.end[d].push_back(end);
        w.step[d].push_back(dil[i]);
        w.divisor[d].push_back(1.0);
      } else {
        int64_t end = std::min(start + k[i], w.in[d] + pad[i]);
        const int64_t with_pad = end - start;
        start = std::max<int64_t>(start, 0);
        end = std::min(end, w.in[d]);
        w.start[d].push_back(start);
        w.end[d].push_back(end);
        w.step[d].push_back(1);
        w.divisor[d].push_back(double(count_include_pad ? with_pad : end - start));
      }
    }
  }
  return w;
}

cpu::PoolWindows adaptive_windows(const Planes& p, const Shape& out, const std::string& op) {
  GLIA_CHECK(int64_t(out.size()) == p.nd, ShapeError, op, ": output_size needs ", p.nd, " values, got ", out);
  for (int64_t o : out) GLIA_CHECK(o > 0, ShapeError, op, ": output_size must be positive, got ", out);
  cpu::PoolWindows w;
  fill_in_out(w, p, out);
  for (int64_t i = 0; i < p.nd; ++i) {
    int d = int(3 - p.nd + i);
    for (int64_t o = 0; o < out[i]; ++o) {
      int64_t start = (o * w.in[d]) / out[i], end = ((o + 1) * w.in[d] + out[i] - 1) / out[i];
      w.start[d].push_back(start);
      w.end[d].push_back(end);
      w.step[d].push_back(1);
      w.divisor[d].push_back(double(end - start));
    }
  }
  return w;
}

std::pair<Tensor, Tensor> run_max(const Tensor& x_in, const Planes& p, const cpu::PoolWindows& w, const char* node) {
  Shape out_shape = out_shape_of(p, w);
  Tensor y = Tensor::empty(out_shape, p.x.dtype()), idx = Tensor::empty(out_shape, DType::Int64);
  dispatch_float(p.x.dtype(), "max_pool", [&](auto tag) {
    using T = typename decltype(tag)::type;
    cpu::max_pool_forward<T>(p.x.data<T>(), w, y.data<T>(), idx.data<int64_t>());
  });
  if (any_requires_grad({&x_in})) {
    Shape in_shape = p.x.shape();
    attach_grad_fn(y, node, {x_in}, [idx, w, in_shape](const Tensor& g_in, const NeedsGrad&) {
      Tensor g = contiguous(detach(g_in));
      Tensor gx = Tensor::empty(in_shape, g.dtype());
      dispatch_float(g.dtype(), "max_pool", [&](auto tag) {
        using T = typename decltype(tag)::type;
        cpu::max_pool_backward<T>(g.data<T>(), idx.data<int64_t>(), w, gx.data<T>());
      });
      return Grads{gx};
    }, {idx}, Backward::Kernel);  // idx is handed to the user and indexes gx unchecked
  }
  return {y, idx};
}

Tensor run_avg(const Tensor& x_in, const Planes& p, const cpu::PoolWindows& w, const char* node) {
  Tensor y = Tensor::empty(out_shape_of(p, w), p.x.dtype());
  dispatch_float(p.x.dtype(), "avg_pool", [&](auto tag) {
    using T = typename decltype(tag)::type;
    cpu::avg_pool_forward<T>(p.x.data<T>(), w, y.data<T>());
  });
  if (any_requires_grad({&x_in})) {
    Shape in_shape = p.x.shape();
    attach_grad_fn(y, node, {x_in}, [w, in_shape](const Tensor& g_in, const NeedsGrad&) {
      Tensor g = contiguous(detach(g_in));
      Tensor gx = Tensor::empty(in_shape, g.dtype());
      dispatch_float(g.dtype(), "avg_pool", [&](auto tag) {
        using T = typename decltype(tag)::type;
        cpu::avg_pool_backward<T>(g.data<T>(), w, gx.data<T>());
      });
      return Grads{gx};
    }, {}, Backward::Kernel);
  }
  return y;
}

}  // namespace

std::pair<Tensor, Tensor> max_pool(const Tensor& x, const Shape& kernel, const Shape& stride,
                                   const Shape& padding, const Shape& dilation, bool ceil_mode) {
  std::string op = nd_op_name("max_pool", int64_t(kernel.size()));
  GLIA_CHECK(!kernel.empty() && kernel.size() <= 3, ShapeError, "max_pool: kernel_size needs 1 to 3 values");
  Planes p = planes_of(x, kernel.size(), op);
  auto w = regular_windows(p, kernel, stride, padding, dilation, ceil_mode, true, false, op);
  return run_max(x, p, w, "MaxPoolBackward");
}

Tensor avg_pool(const Tensor& x, const Shape& kernel, const Shape& stride, const Shape& padding,
                bool ceil_mode, bool count_include_pad, int64_t divisor_override) {
  std::string op = nd_op_name("avg_pool", int64_t(kernel.size()));
  GLIA_CHECK(!kernel.empty() && kernel.size() <= 3, ShapeError, "avg_pool: kernel_size needs 1 to 3 values");
  GLIA_CHECK(divisor_override >= 0, ShapeError, op, ": divisor_override must be positive");
  Planes p = planes_of(x, kernel.size(), op);
  auto w = regular_windows(p, kernel, stride, padding, Shape(kernel.size(), 1), ceil_mode, false,
                           count_include_pad, op);
  w.divisor_override = double(divisor_override);
  return run_avg(x, p, w, "AvgPoolBackward");
}

std::pair<Tensor, Tensor> adaptive_max_pool(const Tensor& x, const Shape& output_size) {
  std::string op = nd_op_name("adaptive_max_pool", int64_t(output_size.size()));
  GLIA_CHECK(!output_size.empty() && output_size.size() <= 3, ShapeError,
             "adaptive_max_pool: output_size needs 1 to 3 values");
  Planes p = planes_of(x, output_size.size(), op);
  return run_max(x, p, adaptive_windows(p, output_size, op), "AdaptiveMaxPoolBackward");
}

Tensor adaptive_avg_pool(const Tensor& x, const Shape& output_size) {
  std::string op = nd_op_name("adaptive_avg_pool", int64_t(output_size.size()));
  GLIA_CHECK(!output_size.empty() && output_size.size() <= 3, ShapeError,
             "adaptive_avg_pool: output_size needs 1 to 3 values");
  Planes p = planes_of(x, output_size.size(), op);
  return run_avg(x, p, adaptive_windows(p, output_size, op), "AdaptiveAvgPoolBackward");
}

}  // namespace glia::nn
