// matmul and friends: batched, broadcast products on the tensors' own memory.
#include "cpu/linalg.h"

#include "check.h"
#include "glia/autograd.h"
#include "glia/ops.h"

namespace glia {

namespace {

// The differentiable core: (B, M, K) @ (B, K, N); transposed operands are read in place.
Tensor bmm_core(const Tensor& a, const Tensor& b) {
  Tensor out = Tensor::empty({a.shape()[0], a.shape()[1], b.shape()[2]}, a.dtype());
  cpu::bmm(a, b, out);
  if (any_requires_grad({&a, &b})) {
    attach_grad_fn(
        out, "MatmulBackward", {a, b},
        [a, b](const Tensor& g, const NeedsGrad& n) {
          return Grads{n[0] ? bmm_core(g, transpose(b, 1, 2)) : Tensor(),
                       n[1] ? bmm_core(transpose(a, 1, 2), g) : Tensor()};
        },
        {a, b});
  }
  return out;
}

void check_operands(const Tensor& a, const Tensor& b, const char* op) {
  GLIA_CHECK(a.defined() && b.defined(), Error, op, ": got an undefined tensor");
  GLIA_CHECK(a.dim() > 0 && b.dim() > 0, ShapeError, op,
             ": both arguments need at least 1 dim, got shapes ", a.shape(), " and ", b.shape());
  GLIA_CHECK(a.dtype() == b.dtype(), DTypeError, op, ": operands have different dtypes ",
             a.dtype(), " and ", b.dtype(), "; convert one with .to()");
  GLIA_CHECK(a.dtype() != DType::Bool, DTypeError, op, ": not supported for bool tensors");
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  check_operands(a, b, "matmul");
  int64_t ka = a.shape().back(), kb = b.dim() == 1 ? b.shape()[0] : b.shape()[b.dim() - 2];
  GLIA_CHECK(ka == kb, ShapeError, "matmul: ", a.shape(), " @ ", b.shape(), ": inner sizes ", ka,
             " and ", kb, " differ");
  if (a.dim() == 1 && b.dim() == 1) return reshape(matmul(unsqueeze(a, 0), unsqueeze(b, 1)), {});
  if (a.dim() == 1) return squeeze(matmul(unsqueeze(a, 0), b), -2);
  if (b.dim() == 1) return squeeze(matmul(a, unsqueeze(b, 1)), -1);

  const int64_t M = a.shape()[a.dim() - 2], N = b.shape().back(), K = ka;
  Shape batch_a(a.shape().begin(), a.shape().end() - 2), batch_b(b.shape().begin(), b.shape().end() - 2);
  // A 2-D right operand: fold a's batch into its rows, one big product.
  if (b.dim() == 2) {
    Shape out_shape = batch_a;
    out_shape.push_back(M);
    out_shape.push_back(N);
    Tensor a2 = reshape(a, {1, shape_numel(batch_a) * M, K});
    return reshape(bmm_core(a2, unsqueeze(b, 0)), out_shape);
  }
  Shape batch = broadcast_shapes(batch_a, batch_b, "matmul");
  int64_t nb = shape_numel(batch);
  Shape ea = batch, eb = batch;
  ea.insert(ea.end(), {M, K});
  eb.insert(eb.end(), {K, N});
  Tensor a3 = reshape(expand(a, ea), {nb, M, K});
  Tensor b3 = reshape(expand(b, eb), {nb, K, N});
  Shape out_shape = batch;
  out_shape.insert(out_shape.end(), {M, N});
  return reshape(bmm_core(a3, b3), out_shape);
}

Tensor mm(const Tensor& a, const Tensor& b) {
  check_operands(a, b, "mm");
  GLIA_CHECK(a.dim() == 2 && b.dim() == 2, ShapeError, "mm: expects 2-D tensors, got shapes ",
             a.shape(), " and ", b.shape());
  return matmul(a, b);
}

Tensor bmm(const Tensor& a, const Tensor& b) {
  check_operands(a, b, "bmm");
  GLIA_CHECK(a.dim() == 3 && b.dim() == 3, ShapeError, "bmm: expects 3-D tensors, got shapes ",
             a.shape(), " and ", b.shape());
  GLIA_CHECK(a.shape()[0] == b.shape()[0], ShapeError, "bmm: batch sizes differ: ", a.shape(),
             " and ", b.shape());
  return matmul(a, b);
}

Tensor outer(const Tensor& a, const Tensor& b) {
  GLIA_CHECK(a.dim() == 1 && b.dim() == 1, ShapeError, "outer: expects 1-D tensors, got shapes ",
             a.shape(), " and ", b.shape());
  return mul(unsqueeze(a, 1), unsqueeze(b, 0));
}

Tensor dot(const Tensor& a, const Tensor& b) {
  check_operands(a, b, "dot");
  GLIA_CHECK(a.dim() == 1 && b.dim() == 1, ShapeError, "dot: expects 1-D tensors, got shapes ",
             a.shape(), " and ", b.shape());
  GLIA_CHECK(a.numel() == b.numel(), ShapeError, "dot: sizes differ: ", a.shape(), " and ",
             b.shape());
  return matmul(a, b);
}

void set_num_threads(int n) { cpu::set_num_threads(n); }
int get_num_threads() { return cpu::get_num_threads(); }
bool load_blas(const std::string& path) { return cpu::load_blas(path); }
std::string blas_name() { return cpu::blas_name(); }

}  // namespace glia
