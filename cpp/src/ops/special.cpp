// Special functions: lgamma, digamma, polygamma, erfinv, mvlgamma, each with its backward.
#include "cpu/special.h"

#include <cmath>

#include "check.h"
#include "glia/autograd.h"
#include "glia/ops.h"

namespace glia {

namespace {

// fn of a float input (integers become float32), contiguous.
Tensor special_kernel(cpu::SpecialFn fn, int64_t n, const Tensor& a, const char* op) {
  GLIA_CHECK(a.defined(), Error, op, ": got an undefined tensor");
  Tensor x = is_floating(a.dtype()) ? a : to_dtype(a, DType::Float32);
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  if (x.numel() > 0) cpu::special(fn, n, contiguous(detach(x)), out);
  return out;
}

}  // namespace

Tensor polygamma(int64_t n, const Tensor& a) {
  GLIA_CHECK(n >= 0, Error, "polygamma: the order n must be non-negative, got ", n);
  Tensor out = special_kernel(cpu::SpecialFn::Polygamma, n, a, "polygamma");
  if (any_requires_grad({&a})) {
    attach_grad_fn(out, "PolygammaBackward", {a}, [n, a](const Tensor& g, const NeedsGrad&) {
      return Grads{mul(g, polygamma(n + 1, a))};  // d/dx psi^(n) = psi^(n+1)
    });
  }
  return out;
}

Tensor digamma(const Tensor& a) {
  Tensor out = special_kernel(cpu::SpecialFn::Digamma, 0, a, "digamma");
  if (any_requires_grad({&a})) {
    attach_grad_fn(out, "DigammaBackward", {a}, [a](const Tensor& g, const NeedsGrad&) {
      return Grads{mul(g, polygamma(1, a))};
    });
  }
  return out;
}

Tensor lgamma(const Tensor& a) {
  Tensor out = special_kernel(cpu::SpecialFn::Lgamma, 0, a, "lgamma");
  if (any_requires_grad({&a})) {
    attach_grad_fn(out, "LgammaBackward", {a}, [a](const Tensor& g, const NeedsGrad&) {
      return Grads{mul(g, digamma(a))};
    });
  }
  return out;
}

Tensor erfinv(const Tensor& a) {
  Tensor out = special_kernel(cpu::SpecialFn::Erfinv, 0, a, "erfinv");
  if (any_requires_grad({&a})) {
    attach_grad_fn(out, "ErfinvBackward", {a}, [o = out.detach()](const Tensor& g,
                                                                 const NeedsGrad&) {
      Tensor y = saved_output(o);  // d/dx erfinv = sqrt(pi)/2 exp(erfinv(x)^2)
      return Grads{mul(g, mul(exp(square(y)), 0.88622692545275801))};
    }, {out});
  }
  return out;
}

Tensor mvlgamma(const Tensor& a, int64_t p) {
  GLIA_CHECK(p >= 1, Error, "mvlgamma: p must be at least 1, got ", p);
  GLIA_CHECK(a.defined(), Error, "mvlgamma: got an undefined tensor");
  // log Gamma_p(a) = p(p-1)/4 log(pi) + sum_{j<p} lgamma(a - j/2), defined for a > (p-1)/2
  Tensor x = is_floating(a.dtype()) ? a : to_dtype(a, DType::Float32);
  GLIA_CHECK(x.numel() == 0 || all(gt(detach(x), full({}, Scalar((p - 1) / 2.0), x.dtype())))
                                   .item<bool>(),
             Error, "mvlgamma: all elements must be greater than (p-1)/2 = ", (p - 1) / 2.0);
  Tensor out = full({}, Scalar(p * (p - 1) / 4.0 * std::log(M_PI)), x.dtype());
  for (int64_t j = 0; j < p; ++j) out = add(out, lgamma(sub(x, j / 2.0)));
  return out;
}

}  // namespace glia
