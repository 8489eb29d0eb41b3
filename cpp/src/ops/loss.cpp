// Losses with a fused kernel (cross_entropy) and composed ones (nll_loss).
#include "cpu/loss.h"

#include <limits>

#include "check.h"
#include "dispatch.h"
#include "glia/autograd.h"
#include "glia/nn/functional.h"
#include "glia/ops.h"
#include "ops/operands.h"

namespace glia::nn {

namespace {

// Checks int64 class targets: each in [0, C) or equal to ignore_index.
void check_targets(const Tensor& target, int64_t C, int64_t ignore_index, const char* op) {
  const int64_t* t = target.data<int64_t>();
  for (int64_t i = 0; i < target.numel(); ++i)
    GLIA_CHECK(t[i] == ignore_index || (t[i] >= 0 && t[i] < C), IndexError, op, ": target ", t[i],
               " is out of bounds for ", C, " classes");
}

// Logits (N, C, d...) as contiguous rows (N*d..., C).
Tensor class_rows(const Tensor& x) { return reshape(contiguous(movedim(x, 1, -1)), {-1, x.shape()[1]}); }

}  // namespace

Tensor cross_entropy(const Tensor& logits_in, const Tensor& target_in, const Tensor& weight,
                     int64_t ignore_index, Reduction reduction, double eps) {
  GLIA_CHECK(logits_in.defined() && target_in.defined(), Error, "cross_entropy: got an undefined tensor");
  GLIA_CHECK(is_floating(logits_in.dtype()), DTypeError,
             "cross_entropy: logits must be floating point, got ", logits_in.dtype());
  GLIA_CHECK(eps >= 0 && eps <= 1, ShapeError, "cross_entropy: label_smoothing must be in [0, 1], got ", eps);
  const bool unbatched = logits_in.dim() == 1;
  Tensor logits = unbatched ? unsqueeze(logits_in, 0) : logits_in;
  Tensor target = unbatched ? unsqueeze(target_in, 0) : target_in;
  GLIA_CHECK(logits.dim() >= 2, ShapeError, "cross_entropy: logits must be (C), (N, C) or (N, C, d...), got ",
             logits_in.shape());
  const int64_t C = logits.shape()[1];
  const bool prob = is_floating(target.dtype());
  Shape row_shape = logits.shape();
  row_shape.erase(row_shape.begin() + 1);  // (N, d...)
  if (prob) {
    GLIA_CHECK(target.shape() == logits.shape(), ShapeError, "cross_entropy: probability targets of shape ",
               target_in.shape(), " must match the logits' shape ", logits_in.shape());
    GLIA_CHECK(target.dtype() == logits.dtype(), DTypeError, "cross_entropy: targets are ",
               target.dtype(), " but logits are ", logits.dtype());
  } else {
    GLIA_CHECK(target.dtype() == DType::Int64, DTypeError,
               "cross_entropy: class targets must be int64 (or float probabilities), got ", target.dtype());
    GLIA_CHECK(target.shape() == row_shape, ShapeError, "cross_entropy: target of shape ",
               target_in.shape(), " does not match logits of shape ", logits_in.shape(),
               " (expected ", unbatched ? Shape{} : row_shape, ")");
  }
  check_param(weight, {C}, logits.dtype(), "cross_entropy", "weight (classes)");
  Tensor z = class_rows(detach(logits));
  const int64_t R = z.shape()[0];
  Tensor tgt = prob ? class_rows(detach(target)) : reshape(contiguous(detach(target)), {R});
  if (!prob) check_targets(tgt, C, ignore_index, "cross_entropy");
  Tensor w = kernel_operand(weight);
  Tensor logp = Tensor::empty({R, C}, z.dtype()), row_loss = Tensor::empty({R}, z.dtype()),
         row_weight = Tensor::empty({R}, z.dtype());
  dispatch_float(z.dtype(), "cross_entropy", [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (prob)
      cpu::cross_entropy_prob_forward<T>(z.data<T>(), tgt.data<T>(), ptr_or_null<T>(w), R, C, eps,
                                         logp.data<T>(), row_loss.data<T>());
    else
      cpu::cross_entropy_index_forward<T>(z.data<T>(), tgt.data<int64_t>(), ptr_or_null<T>(w), R, C,
                                          ignore_index, eps, logp.data<T>(), row_loss.data<T>(),
                                          row_weight.data<T>());
  });
  Tensor out;
  double denom = 1.0;
  {
    NoGradGuard ng;
    if (reduction == Reduction::None) {
      out = reshape(row_loss, unbatched ? Shape{} : row_shape);
    } else {
      out = sum(row_loss);
      if (reduction == Reduction::Mean) {
        denom = prob ? double(R) : sum(row_weight).item<double>();
        out = div(out, Scalar(denom));  // 0/0 = nan when every target is ignored, as PyTorch
      }
    }
  }
  if (any_requires_grad({&logits, &target})) {
    Shape moved = row_shape;
    moved.push_back(C);
    attach_grad_fn(
        out, "CrossEntropyBackward", {logits, prob ? target : Tensor()},
        [logp, tgt, w, R, C, ignore_index, eps, prob, reduction, denom, moved](const Tensor& g,
                                                                              const NeedsGrad& n) {
          Tensor scale = reduction == Reduction::None
                             ? contiguous(reshape(g, {R}))
                             : contiguous(expand(reshape(div(g, Scalar(denom)), {1}), {R}));
          Tensor target_grad;
          if (n.size() > 1 && n[1]) {
            // d loss / d y_c = -(1 - eps) w_c logp_c, per row scaled like the loss
            Tensor d = mul(mul(logp, unsqueeze(scale, 1)), Scalar(eps - 1.0));
            if (w.defined()) d = mul(d, w);
            target_grad = movedim(reshape(d, moved), -1, 1);
          }
          if (!n[0]) return Grads{Tensor(), target_grad};
          Tensor grad = Tensor::empty({R, C}, logp.dtype());
          dispatch_float(logp.dtype(), "cross_entropy", [&](auto tag) {
            using T = typename decltype(tag)::type;
            if (prob)
              cpu::cross_entropy_prob_backward<T>(logp.data<T>(), tgt.data<T>(), ptr_or_null<T>(w), R,
                                                  C, eps, scale.data<T>(), grad.data<T>());
            else
              cpu::cross_entropy_index_backward<T>(logp.data<T>(), tgt.data<int64_t>(),
                                                   ptr_or_null<T>(w), R, C, ignore_index, eps,
                                                   scale.data<T>(), grad.data<T>());
          });
          return Grads{movedim(reshape(grad, moved), -1, 1), target_grad};
        },
        {logits, target}, Backward::Kernel);
  }
  return out;
}

Tensor nll_loss(const Tensor& log_probs, const Tensor& target, const Tensor& weight,
                int64_t ignore_index, Reduction reduction) {
  GLIA_CHECK(log_probs.defined() && target.defined(), Error, "nll_loss: got an undefined tensor");
  GLIA_CHECK(target.dtype() == DType::Int64, DTypeError, "nll_loss: target must be int64, got ",
             target.dtype());
  GLIA_CHECK(is_floating(log_probs.dtype()), DTypeError,
             "nll_loss: log_probs must be floating point, got ", log_probs.dtype());
  GLIA_CHECK(log_probs.dim() >= 1, ShapeError,
             "nll_loss: log_probs must be (C), (N, C) or (N, C, d...), got shape ",
             log_probs.shape());
  const bool unbatched = log_probs.dim() == 1;
  Tensor lp = unbatched ? unsqueeze(log_probs, 0) : log_probs;
  Tensor t = unbatched ? unsqueeze(target, 0) : target;
  const int64_t C = lp.shape()[1];
  check_param(weight, {C}, lp.dtype(), "nll_loss", "weight");
  Shape row_shape = lp.shape();
  row_shape.erase(row_shape.begin() + 1);
  GLIA_CHECK(t.shape() == row_shape, ShapeError, "nll_loss: target of shape ", target.shape(),
             " does not match input of shape ", log_probs.shape());
  check_targets(contiguous(detach(t)), C, ignore_index, "nll_loss");
  Tensor keep = ne(t, scalar_tensor(Scalar(ignore_index), DType::Int64));
  Tensor safe = where(keep, t, zeros({}, DType::Int64));
  // an ignored row reads class 0 in place of its target: zero it, even where that is -inf
  Tensor picked = where(keep, squeeze(gather(lp, 1, unsqueeze(safe, 1)), 1), zeros({}, lp.dtype()));
  Tensor w = weight.defined() ? reshape(index_select(weight, 0, reshape(safe, {-1})), row_shape)
                              : ones(row_shape, lp.dtype());
  w = mul(w, to_dtype(keep, lp.dtype()));
  Tensor losses = neg(mul(picked, w));
  if (reduction == Reduction::None) return unbatched ? reshape(losses, {}) : losses;
  if (reduction == Reduction::Sum) return sum(losses);
  // Every target ignored: the mean is 0 / 0 = NaN, as in PyTorch, but the gradient is zero
  // (-w / sum(w) would be 0 / 0 as well). Kept targets of total weight 0 divide as they are.
  Tensor total = sum(w);
  Tensor none_kept = logical_not(any(keep));
  return add(div(sum(losses), where(none_kept, ones_like(total), total)),
             where(none_kept, scalar_like(std::numeric_limits<double>::quiet_NaN(), total),
                   zeros_like(total)));
}

}  // namespace glia::nn
