// Scaled dot-product attention as one fused op with its own backward (blockwise kernels in
// cpu/attention.cpp: the (L, S) attention matrix is never materialised).
#include "cpu/attention.h"

#include <cmath>
#include <limits>
#include <vector>

#include "check.h"
#include "dispatch.h"
#include "glia/autograd.h"
#include "glia/nn/functional.h"
#include "glia/ops.h"

namespace glia::nn {

namespace {

constexpr const char* kOp = "scaled_dot_product_attention";

Shape lead_dims(const Tensor& t) { return Shape(t.shape().begin(), t.shape().end() - 2); }

// Element offset of each of the `batch` problems in a tensor viewed as (batch..., R, C).
std::vector<int64_t> batch_offsets(const Tensor& t, const Shape& batch_shape) {
  const int64_t nb = static_cast<int64_t>(batch_shape.size()), n = shape_numel(batch_shape);
  std::vector<int64_t> off(static_cast<size_t>(n), 0);
  Shape idx(static_cast<size_t>(nb), 0);
  for (int64_t b = 0; b < n; ++b) {
    int64_t o = 0;
    for (int64_t d = 0; d < nb; ++d) o += idx[d] * t.strides()[d];
    off[b] = o;
    for (int64_t d = nb - 1; d >= 0; --d) {  // next multi-index, last dim fastest
      if (++idx[d] < batch_shape[d]) break;
      idx[d] = 0;
    }
  }
  return off;
}

// An (batch..., R, C) view of t whose last dim is contiguous (copies only if it is not).
Tensor operand_view(const Tensor& t, const Shape& batch_shape) {
  Shape target = batch_shape;
  target.push_back(t.shape()[t.dim() - 2]);
  target.push_back(t.shape()[t.dim() - 1]);
  Tensor base = t.strides()[t.dim() - 1] == 1 || t.shape()[t.dim() - 1] <= 1 ? t : contiguous(t);
  return expand(base, target);
}

// The mask as an additive tensor of `dtype`: a boolean mask (True = attend) becomes 0 / -inf.
Tensor additive_mask(const Tensor& mask, DType dtype) {
  NoGradGuard ng;
  if (mask.dtype() == DType::Bool) {
    return where(mask, scalar_tensor(Scalar(0.0), dtype),
                 scalar_tensor(Scalar(-std::numeric_limits<double>::infinity()), dtype));
  }
  return to_dtype(detach(mask), dtype);
}

void check_inputs(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask,
                  bool is_causal) {
  GLIA_CHECK(q.defined() && k.defined() && v.defined(), Error, kOp, ": got an undefined tensor");
  GLIA_CHECK(q.dim() >= 2 && k.dim() >= 2 && v.dim() >= 2, ShapeError, kOp,
             ": query, key and value must have at least 2 dims (..., L, E), got shapes ",
             q.shape(), ", ", k.shape(), " and ", v.shape());
  GLIA_CHECK(is_floating(q.dtype()), DTypeError, kOp,
             ": expects floating-point query, key and value, got ", q.dtype());
  GLIA_CHECK(k.dtype() == q.dtype() && v.dtype() == q.dtype(), DTypeError, kOp,
             ": query, key and value must share a dtype, got ", q.dtype(), ", ", k.dtype(),
             " and ", v.dtype());
  const int64_t E = q.shape().back();
  GLIA_CHECK(k.shape().back() == E, ShapeError, kOp, ": key's last dim must equal query's (", E,
             "), got query ", q.shape(), " and key ", k.shape());
  GLIA_CHECK(v.shape()[v.dim() - 2] == k.shape()[k.dim() - 2], ShapeError, kOp,
             ": key and value must have the same sequence length (dim -2), got key ", k.shape(),
             " and value ", v.shape());
  if (mask.defined()) {
    GLIA_CHECK(!is_causal, ShapeError, kOp,
               ": pass either attn_mask or is_causal=True, not both (fold the causal mask into "
               "attn_mask)");
    GLIA_CHECK(mask.dtype() == DType::Bool || is_floating(mask.dtype()), DTypeError, kOp,
               ": attn_mask must be bool or floating point, got ", mask.dtype());
    GLIA_CHECK(!(mask.requires_grad() && grad_enabled()), Error, kOp,
               ": attn_mask requires grad but the fused op gives no mask gradient; "
               "F.scaled_dot_product_attention composes the op from matmul and softmax then");
  }
}

}  // namespace

Tensor scaled_dot_product_attention(const Tensor& q_in, const Tensor& k_in, const Tensor& v_in,
                                    const Tensor& attn_mask, bool is_causal,
                                    std::optional<double> scale) {
  check_inputs(q_in, k_in, v_in, attn_mask, is_causal);
  const int64_t L = q_in.shape()[q_in.dim() - 2], E = q_in.shape().back();
  const int64_t S = k_in.shape()[k_in.dim() - 2], Ev = v_in.shape().back();
  Shape batch = broadcast_shapes(broadcast_shapes(lead_dims(q_in), lead_dims(k_in), kOp),
                                 lead_dims(v_in), kOp);
  Shape scores_shape = batch, out_shape = batch;
  scores_shape.insert(scores_shape.end(), {L, S});
  out_shape.insert(out_shape.end(), {L, Ev});
  if (attn_mask.defined()) {
    bool fits = attn_mask.dim() <= static_cast<int64_t>(scores_shape.size());
    for (int64_t d = 1; fits && d <= attn_mask.dim(); ++d) {
      const int64_t m = attn_mask.shape()[attn_mask.dim() - d];
      fits = m == 1 || m == scores_shape[scores_shape.size() - d];
    }
    GLIA_CHECK(fits, ShapeError, kOp, ": attn_mask of shape ", attn_mask.shape(),
               " does not broadcast to the attention scores' shape ", scores_shape,
               " (query ", q_in.shape(), ", key ", k_in.shape(), ")");
  }
  const double sc = scale ? *scale : 1.0 / std::sqrt(double(std::max<int64_t>(E, 1)));

  Tensor q = operand_view(detach(q_in), batch), k = operand_view(detach(k_in), batch),
         v = operand_view(detach(v_in), batch);
  Tensor mask = attn_mask.defined() ? expand(additive_mask(attn_mask, q.dtype()), scores_shape)
                                    : Tensor();
  const int64_t nb = static_cast<int64_t>(batch.size());
  auto offsets = std::make_shared<std::vector<std::vector<int64_t>>>(
      std::vector<std::vector<int64_t>>{batch_offsets(q, batch), batch_offsets(k, batch),
                                        batch_offsets(v, batch),
                                        mask.defined() ? batch_offsets(mask, batch)
                                                       : std::vector<int64_t>()});
  auto params = [=]() {
    cpu::AttentionParams p;
    p.batch = shape_numel(batch);
    p.L = L, p.S = S, p.E = E, p.Ev = Ev;
    p.q_off = (*offsets)[0].data(), p.k_off = (*offsets)[1].data(), p.v_off = (*offsets)[2].data();
    p.q_ld = q.strides()[nb], p.k_ld = k.strides()[nb], p.v_ld = v.strides()[nb];
    if (mask.defined()) {
      p.m_off = (*offsets)[3].data();
      p.m_row = mask.strides()[nb], p.m_col = mask.strides()[nb + 1];
    }
    p.causal = is_causal;
    p.scale = sc;
    return p;
  };

  Tensor out = Tensor::empty(out_shape, q.dtype());
  Tensor lse = Tensor::empty({shape_numel(batch), L}, q.dtype());
  dispatch_float(q.dtype(), kOp, [&](auto tag) {
    using T = typename decltype(tag)::type;
    cpu::attention_forward<T>(params(), q.data<T>(), k.data<T>(), v.data<T>(),
                              mask.defined() ? mask.data<T>() : nullptr, out.data<T>(),
                              lse.data<T>());
  });
  if (any_requires_grad({&q_in, &k_in, &v_in})) {
    Tensor out_saved = detach(out);
    attach_grad_fn(
        out, "ScaledDotProductAttentionBackward", {q_in, k_in, v_in},
        [=, qs = q_in.shape(), ks = k_in.shape(), vs = v_in.shape()](const Tensor& g_in,
                                                                     const NeedsGrad& n) {
          Tensor g = contiguous(detach(g_in));
          Shape gq_shape = batch, gk_shape = batch, gv_shape = batch;
          gq_shape.insert(gq_shape.end(), {L, E});
          gk_shape.insert(gk_shape.end(), {S, E});
          gv_shape.insert(gv_shape.end(), {S, Ev});
          Tensor gq = Tensor::empty(gq_shape, q.dtype()), gk = Tensor::empty(gk_shape, q.dtype()),
                 gv = Tensor::empty(gv_shape, q.dtype());
          dispatch_float(q.dtype(), kOp, [&](auto tag) {
            using T = typename decltype(tag)::type;
            cpu::attention_backward<T>(params(), q.data<T>(), k.data<T>(), v.data<T>(),
                                       mask.defined() ? mask.data<T>() : nullptr,
                                       out_saved.data<T>(), lse.data<T>(), g.data<T>(),
                                       gq.data<T>(), gk.data<T>(), gv.data<T>());
          });
          // Inputs broadcast over batch dims get the sum over the copies they fed.
          auto fit = [](const Tensor& t, const Shape& s) { return t.shape() == s ? t : sum_to(t, s); };
          return Grads{n[0] ? fit(gq, qs) : Tensor(), n[1] ? fit(gk, ks) : Tensor(),
                       n[2] ? fit(gv, vs) : Tensor()};
        },
        {q_in, k_in, v_in, attn_mask, out}, Backward::Kernel);  // out: read as out_saved
  }
  return out;
}

}  // namespace glia::nn
