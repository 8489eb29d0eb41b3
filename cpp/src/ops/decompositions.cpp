// Matrix functions and factorizations of glia.linalg (det, slogdet, inv, solve, cholesky,
// eigh, svd, qr) over batches of matrices, each with its backward written in glia ops.
#include "cpu/decompositions.h"

#include <cmath>
#include <functional>

#include "check.h"
#include "glia/autograd.h"
#include "glia/ops.h"

namespace glia {

namespace {

// The leading (batch) dims of a stack of matrices and the matrix size.
struct Matrices {
  Shape batch;
  int64_t count = 1, m = 0, n = 0;
};

Matrices matrices_of(const Tensor& a, const char* op, bool square) {
  GLIA_CHECK(a.defined(), Error, op, ": got an undefined tensor");
  GLIA_CHECK(a.dim() >= 2, ShapeError, op, ": expected a matrix or a batch of matrices, got shape ",
             a.shape());
  GLIA_CHECK(is_floating(a.dtype()), DTypeError, op,
             ": expected a floating-point tensor, got ", a.dtype());
  Matrices mats;
  mats.batch = Shape(a.shape().begin(), a.shape().end() - 2);
  for (int64_t s : mats.batch) mats.count *= s;
  mats.m = a.shape()[a.dim() - 2];
  mats.n = a.shape()[a.dim() - 1];
  GLIA_CHECK(!square || mats.m == mats.n, ShapeError, op,
             ": expected square matrices, got shape ", a.shape());
  return mats;
}

Shape with(Shape batch, std::initializer_list<int64_t> tail) {
  batch.insert(batch.end(), tail);
  return batch;
}

Tensor mT(const Tensor& x) { return transpose(x, -2, -1); }

// A batch of diagonal matrices from the last dim of v, and the diagonal of matrices.
Tensor diag_embed_last(const Tensor& v) {
  const int64_t n = v.shape().back();
  return mul(unsqueeze(v, -1), eye(n, n, v.dtype()));
}
Tensor diagonal_last(const Tensor& x) {
  const int64_t n = x.shape().back();
  return sum(mul(x, eye(n, n, x.dtype())), {-1});
}

// Joins several outputs of one op (one dtype) to the graph through a single node: they are
// slices of one buffer, so the backward gets all their gradients (zeros where unused) at
// once, with the outputs reconnected for double backward.
using MultiBackward =
    std::function<Grads(const std::vector<Tensor>& grads, const std::vector<Tensor>& outs)>;

std::vector<Tensor> join_outputs(const std::vector<Tensor>& outs, const char* name,
                                 const Tensor& input, MultiBackward backward) {
  if (!any_requires_grad({&input})) return outs;
  std::vector<Tensor> flat;
  std::vector<Shape> shapes;
  for (const Tensor& o : outs) {
    flat.push_back(reshape(o, {-1}));
    shapes.push_back(o.shape());
  }
  Tensor packed = cat(flat, 0);
  auto split = [shapes](const Tensor& buffer) {
    std::vector<Tensor> parts;
    int64_t at = 0;
    for (const Shape& s : shapes) {
      int64_t len = 1;
      for (int64_t d : s) len *= d;
      parts.push_back(reshape(narrow(buffer, 0, at, len), s));
      at += len;
    }
    return parts;
  };
  attach_grad_fn(packed, name, {input},
                 [split, backward, p = packed.detach()](const Tensor& g, const NeedsGrad&) {
                   return backward(split(g), split(saved_output(p)));
                 },
                 {packed});
  return split(packed);
}

// X = A^-1 B for a stack of matrices (B: ... x n x k, batch dims broadcast); no autograd.
Tensor solve_kernel(const Tensor& a, const Tensor& b, const char* op) {
  Shape batch = broadcast_shapes(Shape(a.shape().begin(), a.shape().end() - 2),
                                 Shape(b.shape().begin(), b.shape().end() - 2), op);
  const int64_t n = a.shape().back(), k = b.shape().back();
  Tensor A = contiguous(expand(detach(a), with(batch, {n, n})));
  Tensor B = contiguous(expand(detach(b), with(batch, {n, k})));
  int64_t count = 1;
  for (int64_t s : batch) count *= s;
  Tensor x = Tensor::empty(with(batch, {n, k}), a.dtype());
  const int64_t bad = cpu::solve(A, B, count, n, k, x);
  GLIA_CHECK(bad < 0, Error, op, ": the input matrix", count > 1 ? " " : "",
             count > 1 ? std::to_string(bad) : std::string(), " is singular");
  return x;
}

}  // namespace

Tensor det(const Tensor& a) {
  Matrices mats = matrices_of(a, "linalg.det", true);
  Tensor out = Tensor::empty(mats.batch, a.dtype());
  cpu::det(contiguous(detach(a)), mats.count, mats.n, out);
  if (any_requires_grad({&a})) {
    // d det / dA = det * A^-T; at a singular matrix, the adjugate from the SVD instead
    attach_grad_fn(out, "DetBackward", {a}, [a, o = out.detach()](const Tensor& g,
                                                                 const NeedsGrad&) {
      Tensor d = saved_output(o);
      const bool singular = any(eq(detach(d), zeros({}, d.dtype()))).item<bool>();
      if (!singular) {
        Tensor scale = unsqueeze(unsqueeze(mul(g, d), -1), -1);
        return Grads{mul(scale, mT(inv(a)))};
      }
      auto [u, s, vh] = linalg_svd(detach(a), false);
      // adjugate^T = det(U) det(Vh) U diag(prod_{j != i} s_j) Vh
      const int64_t n = s.shape().back();
      Shape ones_shape = s.shape();
      ones_shape.back() = 1;
      Tensor one = ones(ones_shape, s.dtype());
      Tensor before = cumprod(cat({one, narrow(s, -1, 0, n - 1)}, -1), -1);
      Tensor after = flip(cumprod(cat({one, narrow(flip(s, {-1}), -1, 0, n - 1)}, -1), -1), {-1});
      Tensor sign = mul(det(u), det(vh));
      Tensor adj_t = matmul(mul(u, unsqueeze(mul(before, after), -2)), vh);
      return Grads{mul(unsqueeze(unsqueeze(mul(g, sign), -1), -1), adj_t)};
    }, {a, out});
  }
  return out;
}

std::pair<Tensor, Tensor> slogdet(const Tensor& a) {
  Matrices mats = matrices_of(a, "linalg.slogdet", true);
  Tensor sign = Tensor::empty(mats.batch, a.dtype());
  Tensor logabs = Tensor::empty(mats.batch, a.dtype());
  cpu::slogdet(contiguous(detach(a)), mats.count, mats.n, sign, logabs);
  if (any_requires_grad({&a})) {
    attach_grad_fn(logabs, "SlogdetBackward", {a}, [a](const Tensor& g, const NeedsGrad&) {
      return Grads{mul(unsqueeze(unsqueeze(g, -1), -1), mT(inv(a)))};  // d log|det| = A^-T
    });
  }
  return {sign, logabs};
}

Tensor inv(const Tensor& a) {
  Matrices mats = matrices_of(a, "linalg.inv", true);
  Tensor identity = expand(eye(mats.n, mats.n, a.dtype()), a.shape());
  Tensor out = solve_kernel(a, identity, "linalg.inv");
  if (any_requires_grad({&a})) {
    attach_grad_fn(out, "InvBackward", {a}, [o = out.detach()](const Tensor& g, const NeedsGrad&) {
      Tensor ai_t = mT(saved_output(o));
      return Grads{neg(matmul(matmul(ai_t, g), ai_t))};  // -A^-T G A^-T
    }, {out});
  }
  return out;
}

Tensor linalg_solve(const Tensor& a, const Tensor& b) {
  matrices_of(a, "linalg.solve", true);
  GLIA_CHECK(b.defined() && b.dim() >= 1, ShapeError, "linalg.solve: B must have at least 1 dim");
  GLIA_CHECK(b.dtype() == a.dtype(), DTypeError, "linalg.solve: A and B must have the same dtype, got ",
             a.dtype(), " and ", b.dtype());
  // B is a batch of vectors when it is 1-d or has exactly A's batch shape plus n (as torch)
  const bool vector = b.dim() == 1 ||
      (b.dim() == a.dim() - 1 && Shape(b.shape()) == Shape(a.shape().begin(), a.shape().end() - 1));
  Tensor bm = vector ? unsqueeze(b, -1) : b;
  const int64_t n = a.shape().back();
  GLIA_CHECK(bm.dim() >= 2 && bm.shape()[bm.dim() - 2] == n, ShapeError,
             "linalg.solve: A of shape ", a.shape(), " and B of shape ", b.shape(),
             " do not align (B needs ", n, " rows)");
  Tensor x = solve_kernel(a, bm, "linalg.solve");
  if (any_requires_grad({&a, &b})) {
    attach_grad_fn(x, "SolveBackward", {a, bm},
                   [a, b_shape = bm.shape(), o = x.detach()](const Tensor& g, const NeedsGrad& need) {
      Tensor gb = linalg_solve(mT(a), g);  // A^-T G; batch dims broadcast: sum them back
      Tensor ga = need[0] ? sum_to(neg(matmul(gb, mT(saved_output(o)))), a.shape()) : Tensor();
      return Grads{ga, need[1] ? sum_to(gb, b_shape) : Tensor()};
    }, {x});
  }
  return vector ? squeeze(x, -1) : x;
}

Tensor cholesky(const Tensor& a, bool upper) {
  // upper: U = L^T of A's upper triangle, which is the lower one of A^T (as PyTorch)
  if (upper) return mT(cholesky(mT(a), false));
  Matrices mats = matrices_of(a, "linalg.cholesky", true);
  Tensor l = Tensor::empty(a.shape(), a.dtype());
  int64_t order = 0;
  const int64_t bad = cpu::cholesky(contiguous(detach(a)), mats.count, mats.n, l, &order);
  GLIA_CHECK(bad < 0, Error, "linalg.cholesky: the input matrix",
             mats.count > 1 ? " " + std::to_string(bad) : std::string(),
             " is not positive-definite (the leading minor of order ", order, " is not)");
  if (any_requires_grad({&a})) {
    // gA = sym(L^-T phi(L^T gL) L^-1), phi: the lower triangle with the diagonal halved
    attach_grad_fn(l, "CholeskyBackward", {a}, [o = l.detach()](const Tensor& g,
                                                                 const NeedsGrad&) {
      Tensor L = saved_output(o);
      Tensor phi = tril(matmul(mT(L), g));
      phi = sub(phi, mul(diag_embed_last(diagonal_last(phi)), 0.5));
      Tensor li = inv(L);
      Tensor s = matmul(matmul(mT(li), phi), li);
      return Grads{mul(add(s, mT(s)), 0.5)};
    }, {l});
  }
  return l;
}

std::pair<Tensor, Tensor> eigh(const Tensor& a) {
  Matrices mats = matrices_of(a, "linalg.eigh", true);
  Tensor values = Tensor::empty(with(mats.batch, {mats.n}), a.dtype());
  Tensor vectors = Tensor::empty(a.shape(), a.dtype());
  cpu::eigh(contiguous(detach(a)), mats.count, mats.n, values, vectors);
  // gA = V (diag(gL) + (V^T gV) / E) V^T with E_ij = L_j - L_i (as PyTorch)
  auto outs = join_outputs({values, vectors}, "EighBackward", a,
                           [](const std::vector<Tensor>& g, const std::vector<Tensor>& o) {
    const Tensor &L = o[0], &V = o[1];
    // eigenvalues only (eigvalsh): V diag(gL) V^T, defined at repeated eigenvalues too
    if (!any(ne(g[1], zeros({}, g[1].dtype()))).item<bool>())
      return Grads{matmul(mul(V, unsqueeze(g[0], -2)), mT(V))};
    const int64_t n = L.shape().back();
    Tensor I = eye(n, n, L.dtype());
    Tensor E = sub(unsqueeze(L, -2), unsqueeze(L, -1));
    E = add(E, I);  // the diagonal is replaced below: avoid dividing by 0 there
    // V^T gV projected on the skew-symmetric matrices (a symmetric input's tangents)
    Tensor vg = matmul(mT(V), g[1]);
    Tensor inner = mul(div(mul(sub(vg, mT(vg)), 0.5), E), sub(1, I));
    inner = add(inner, diag_embed_last(g[0]));
    return Grads{matmul(matmul(V, inner), mT(V))};
  });
  return {outs[0], outs[1]};
}

Tensor eigvalsh(const Tensor& a) {
  Matrices mats = matrices_of(a, "linalg.eigvalsh", true);
  if (any_requires_grad({&a})) return eigh(a).first;  // the gradient needs the vectors
  Tensor values = Tensor::empty(with(mats.batch, {mats.n}), a.dtype());
  cpu::eigh(contiguous(detach(a)), mats.count, mats.n, values, Tensor());
  return values;
}

std::tuple<Tensor, Tensor, Tensor> linalg_svd(const Tensor& a, bool full_matrices) {
  Matrices mats = matrices_of(a, "linalg.svd", false);
  const int64_t m = mats.m, n = mats.n, k = std::min(m, n);
  Tensor u = Tensor::empty(with(mats.batch, {m, full_matrices ? m : k}), a.dtype());
  Tensor s = Tensor::empty(with(mats.batch, {k}), a.dtype());
  Tensor vh = Tensor::empty(with(mats.batch, {full_matrices ? n : k, n}), a.dtype());
  cpu::svd(contiguous(detach(a)), mats.count, m, n, full_matrices, u, s, vh);
  auto outs = join_outputs({u, s, vh}, "SvdBackward", a, [m, n, k](const std::vector<Tensor>& g,
                                                                   const std::vector<Tensor>& o) {
    // with full_matrices, the singular vectors past k are not unique: they may get no gradient
    const bool extra = o[0].shape().back() > k || o[2].shape()[o[2].dim() - 2] > k;
    if (extra) {
      Tensor ge_u = narrow(g[0], -1, k, o[0].shape().back() - k);
      Tensor ge_v = narrow(g[2], -2, k, o[2].shape()[o[2].dim() - 2] - k);
      GLIA_CHECK(!any(ne(ge_u, zeros({}, ge_u.dtype()))).item<bool>() &&
                     !any(ne(ge_v, zeros({}, ge_v.dtype()))).item<bool>(),
                 Error, "linalg.svd: the gradient through the singular vectors past min(m, n) of "
                 "full_matrices=True is not defined (they are not unique); use full_matrices=False");
    }
    const Tensor U = narrow(o[0], -1, 0, k), S = o[1], Vh = narrow(o[2], -2, 0, k);
    const Tensor gU = narrow(g[0], -1, 0, k), gS = g[1], gVh = narrow(g[2], -2, 0, k);
    // singular values only (svdvals, norms): U diag(gS) Vh, defined at repeated or zero ones
    const Tensor zero = zeros({}, gS.dtype());
    if (!any(ne(gU, zero)).item<bool>() && !any(ne(gVh, zero)).item<bool>())
      return Grads{matmul(mul(U, unsqueeze(gS, -2)), Vh)};
    Tensor V = mT(Vh), gV = mT(gVh);
    Tensor I = eye(k, k, S.dtype());
    Tensor S2 = mul(S, S);
    Tensor E = add(sub(unsqueeze(S2, -2), unsqueeze(S2, -1)), I);  // S_j^2 - S_i^2, 1 on diag
    Tensor UhgU = matmul(mT(U), gU), VhgV = matmul(mT(V), gV);
    Tensor skew_u = sub(UhgU, mT(UhgU)), skew_v = sub(VhgV, mT(VhgV));
    Tensor inner = div(add(mul(skew_u, unsqueeze(S, -2)), mul(unsqueeze(S, -1), skew_v)), E);
    inner = add(mul(inner, sub(1, I)), diag_embed_last(gS));
    Tensor gA = matmul(matmul(U, inner), Vh);
    if (m > k)  // (I - U U^T) gU S^-1 Vh
      gA = add(gA, matmul(div(sub(gU, matmul(U, UhgU)), unsqueeze(S, -2)), Vh));
    if (n > k)  // U S^-1 gV^T (I - V V^T)
      gA = add(gA, matmul(U, mT(div(sub(gV, matmul(V, VhgV)), unsqueeze(S, -2)))));
    return Grads{gA};
  });
  return {outs[0], outs[1], outs[2]};
}

Tensor svdvals(const Tensor& a) {
  Matrices mats = matrices_of(a, "linalg.svdvals", false);
  if (any_requires_grad({&a})) return std::get<1>(linalg_svd(a, false));
  Tensor s = Tensor::empty(with(mats.batch, {std::min(mats.m, mats.n)}), a.dtype());
  cpu::svd(contiguous(detach(a)), mats.count, mats.m, mats.n, false, Tensor(), s, Tensor());
  return s;
}

namespace {

// The backward of A = QR for m >= n (reduced): gA = (gQ + Q copyltu(M)) R^-T with
// M = R gR^T - gQ^T Q and copyltu(M) the symmetric matrix of M's lower triangle.
Tensor qr_backward_tall(const Tensor& gQ, const Tensor& gR, const Tensor& Q, const Tensor& R) {
  Tensor M = sub(matmul(R, mT(gR)), matmul(mT(gQ), Q));
  Tensor low = tril(M, -1);
  Tensor sym = add(add(low, mT(low)), diag_embed_last(diagonal_last(M)));
  return mT(linalg_solve(R, mT(add(gQ, matmul(Q, sym)))));  // (...) R^-T
}

}  // namespace

std::pair<Tensor, Tensor> qr(const Tensor& a, const std::string& mode) {
  GLIA_CHECK(mode == "reduced" || mode == "complete" || mode == "r", Error,
             "linalg.qr: mode must be 'reduced', 'complete' or 'r', got '", mode, "'");
  Matrices mats = matrices_of(a, "linalg.qr", false);
  const int64_t m = mats.m, n = mats.n, k = std::min(m, n);
  const bool complete = mode == "complete";
  Tensor q = Tensor::empty(with(mats.batch, {m, complete ? m : k}), a.dtype());
  Tensor r = Tensor::empty(with(mats.batch, {complete ? m : k, n}), a.dtype());
  cpu::qr(contiguous(detach(a)), mats.count, m, n, complete, q, r);
  if (mode == "r") q = Tensor::empty({0}, a.dtype());
  if (!any_requires_grad({&a})) return {q, r};
  if (mode == "r" || (complete && m > n)) {
    // no gradient exists here (Q is not computed, or not unique): fail on backward, as torch
    std::string why = mode == "r" ? "mode='r' computes no Q, which the gradient needs"
                                  : "mode='complete' on a tall matrix gives a Q that is not unique";
    attach_grad_fn(r, "QrBackward", {a}, [why](const Tensor&, const NeedsGrad&) -> Grads {
      throw Error("linalg.qr: no backward: " + why + "; use mode='reduced'");
    });
    return {q, r};
  }
  auto outs = join_outputs({q, r}, "QrBackward", a,
                           [m, n](const std::vector<Tensor>& g, const std::vector<Tensor>& o) {
    const Tensor &Q = o[0], &R = o[1];
    if (m >= n) return Grads{qr_backward_tall(g[0], g[1], Q, R)};
    // wide: A = [X | Y], X = Q U square; then gX as the square case with gQ + Y gV^T
    Tensor U = narrow(R, -1, 0, m), Vr = narrow(R, -1, m, n - m);
    Tensor gU = narrow(g[1], -1, 0, m), gV = narrow(g[1], -1, m, n - m);
    Tensor Y = matmul(Q, Vr);
    Tensor gX = qr_backward_tall(add(g[0], matmul(Y, mT(gV))), gU, Q, U);
    return Grads{cat({gX, matmul(Q, gV)}, -1)};
  });
  return {outs[0], outs[1]};
}

}  // namespace glia
