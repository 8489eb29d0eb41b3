// Losses with a fused kernel (cross_entropy) and composed ones (nll_loss).
#include "cpu/loss.h"

#include <cmath>
#include "cpu/ctc_loss.h"

#include <limits>
#include <numeric>

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

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  GLIA_CHECK(input.defined() && target.defined(), Error, "mse_loss: got an undefined tensor");
  GLIA_CHECK(input.shape() == target.shape(), ShapeError, "mse_loss: input shape ", input.shape(),
             " and target shape ", target.shape(), " must match");
  const bool fused = reduction != Reduction::None && is_floating(input.dtype()) &&
                     input.dtype() == target.dtype() && input.numel() > 0;
  if (!fused) {  // elementwise, mixed dtypes (promoted by sub) or empty (mean = nan)
    Tensor loss = square(sub(input, target));
    if (reduction == Reduction::None) return loss;
    return reduction == Reduction::Mean ? mean(loss) : sum(loss);
  }
  Tensor x = contiguous(detach(input)), t = contiguous(detach(target));
  const int64_t n = x.numel();
  const double scale = reduction == Reduction::Mean ? 1.0 / double(n) : 1.0;
  double total = 0;
  dispatch_float(x.dtype(), "mse_loss", [&](auto tag) {
    using T = typename decltype(tag)::type;
    total = cpu::squared_error_sum<T>(x.data<T>(), t.data<T>(), n);
  });
  Tensor out = scalar_tensor(Scalar(total * scale), x.dtype());
  if (any_requires_grad({&input, &target})) {
    // d loss / d input = 2 scale (input - target) g, and its negative for target
    attach_grad_fn(
        out, "MseLossBackward", {input, target},
        [input, target, scale](const Tensor& g, const NeedsGrad& need) {
          Tensor d = mul(sub(input, target), mul(g, Scalar(2.0 * scale)));
          return Grads{need[0] ? d : Tensor(), need[1] ? neg(d) : Tensor()};
        },
        {input, target});
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

namespace {

// A lengths argument as N int64 values, each at least 0 (and at most `most`, when given).
Tensor checked_ctc_lengths(const Tensor& lengths, int64_t N, const char* what, int64_t most) {
  GLIA_CHECK(lengths.defined() && lengths.dtype() == DType::Int64, DTypeError, "ctc_loss: ",
             what, " must be an int64 tensor, got ",
             lengths.defined() ? dtype_name(lengths.dtype()) : "none");
  GLIA_CHECK(lengths.dim() == 1 && lengths.shape()[0] == N, ShapeError, "ctc_loss: ", what,
             " must have one value per sample (", N, "), got shape ", lengths.shape());
  Tensor l = contiguous(detach(lengths));
  for (int64_t n = 0; n < N; ++n) {
    const int64_t v = l.data<int64_t>()[n];
    GLIA_CHECK(v >= 0 && (most < 0 || v <= most), ShapeError, "ctc_loss: ", what, "[", n, "] is ",
               v, ", expected a value in [0, ", most < 0 ? "inf" : std::to_string(most), "]");
  }
  return l;
}

}  // namespace

Tensor ctc_loss(const Tensor& log_probs, const Tensor& targets, const Tensor& input_lengths,
                const Tensor& target_lengths, int64_t blank, bool zero_infinity) {
  GLIA_CHECK(log_probs.defined() && targets.defined(), Error, "ctc_loss: got an undefined tensor");
  GLIA_CHECK(is_floating(log_probs.dtype()), DTypeError,
             "ctc_loss: log_probs must be floating point, got ", log_probs.dtype());
  GLIA_CHECK(log_probs.dim() == 3, ShapeError,
             "ctc_loss: log_probs must be (T, N, C), got shape ", log_probs.shape());
  GLIA_CHECK(targets.dtype() == DType::Int64, DTypeError,
             "ctc_loss: targets must be integer class indices, got ", targets.dtype());
  const int64_t T = log_probs.shape()[0], N = log_probs.shape()[1], C = log_probs.shape()[2];
  GLIA_CHECK(blank >= 0 && blank < C, ShapeError, "ctc_loss: blank ", blank,
             " is out of range for ", C, " classes");
  Tensor in_len = checked_ctc_lengths(input_lengths, N, "input_lengths", T);
  Tensor tg_len = checked_ctc_lengths(target_lengths, N, "target_lengths", -1);
  const int64_t* tl = tg_len.data<int64_t>();
  // where each sample's labels start: rows of a padded (N, S) targets, or one after another
  Tensor offsets = Tensor::empty({N}, DType::Int64);
  int64_t* off = offsets.data<int64_t>();
  const int64_t max_target = N == 0 ? 0 : *std::max_element(tl, tl + N);
  if (targets.dim() == 2) {
    GLIA_CHECK(targets.shape()[0] == N && targets.shape()[1] >= max_target, ShapeError,
               "ctc_loss: padded targets must be (N, S) with N = ", N, " and S at least the "
               "longest target length ", max_target, ", got shape ", targets.shape());
    for (int64_t n = 0; n < N; ++n) off[n] = n * targets.shape()[1];
  } else {
    GLIA_CHECK(targets.dim() == 1, ShapeError,
               "ctc_loss: targets must be (N, S) or 1-D, got shape ", targets.shape());
    std::exclusive_scan(tl, tl + N, off, int64_t(0));
    const int64_t total = N == 0 ? 0 : off[N - 1] + tl[N - 1];
    GLIA_CHECK(targets.numel() >= total, ShapeError, "ctc_loss: 1-D targets hold ",
               targets.numel(), " labels but target_lengths add up to ", total);
  }
  Tensor tg = contiguous(detach(targets));
  for (int64_t n = 0; n < N; ++n)
    for (int64_t j = 0; j < tl[n]; ++j) {
      const int64_t c = tg.data<int64_t>()[off[n] + j];
      GLIA_CHECK(c >= 0 && c < C && c != blank, IndexError, "ctc_loss: label ", c, " of sample ",
                 n, " is out of range for ", C, " classes or is the blank (", blank, ")");
    }
  Tensor lp = contiguous(detach(log_probs));
  const DType dt = lp.dtype();
  const cpu::CtcBatch batch{T, N, C, blank, max_target, tg.data<int64_t>(), off,
                            in_len.data<int64_t>(), tl};
  Tensor alpha = Tensor::empty({N, T, 2 * max_target + 1}, dt), loss = Tensor::empty({N}, dt);
  dispatch_float(dt, "ctc_loss", [&](auto tag) {
    using S = typename decltype(tag)::type;
    cpu::ctc_loss_forward<S>(batch, lp.data<S>(), alpha.data<S>(), loss.data<S>());
  });
  // samples with no alignment: excluded from the loss and the gradient when asked
  Tensor keep = Tensor::empty({N}, dt);
  dispatch_float(dt, "ctc_loss", [&](auto tag) {
    using S = typename decltype(tag)::type;
    for (int64_t n = 0; n < N; ++n) {
      const bool lost = zero_infinity && std::isinf(loss.data<S>()[n]);
      keep.data<S>()[n] = lost ? S(0) : S(1);
      if (lost) loss.data<S>()[n] = S(0);
    }
  });
  if (log_probs.requires_grad()) {
    attach_grad_fn(
        loss, "CtcLossBackward", {log_probs},
        [=](const Tensor& g, const NeedsGrad&) {
          NoGradGuard ng;
          // the same batch, its pointers into the tensors this closure keeps alive
          const cpu::CtcBatch batch{T, N, C, blank, max_target, tg.data<int64_t>(),
                                    offsets.data<int64_t>(), in_len.data<int64_t>(),
                                    tg_len.data<int64_t>()};
          Tensor scale = contiguous(mul(detach(g), keep));
          Tensor grad = Tensor::empty({T, N, C}, dt);
          dispatch_float(dt, "ctc_loss", [&](auto tag) {
            using S = typename decltype(tag)::type;
            cpu::ctc_loss_backward<S>(batch, lp.data<S>(), alpha.data<S>(), loss.data<S>(),
                                      scale.data<S>(), grad.data<S>());
          });
          return Grads{grad};
        },
        {log_probs}, Backward::Kernel);
  }
  return loss;
}

}  // namespace glia::nn
