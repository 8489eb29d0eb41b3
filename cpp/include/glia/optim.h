#pragma once
// Optimizer updates, each applied to a whole parameter list in one call, under no-grad.
// State tensors (momentum buffers, moment estimates) are passed in and updated in place;
// an undefined state tensor is created on first use and written back into the vector.
#include <vector>

#include "glia/tensor.h"

namespace glia::optim {

struct SGDOptions {
  double lr = 1e-3, momentum = 0, dampening = 0, weight_decay = 0;
  bool nesterov = false, maximize = false;
};
void sgd_step(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
              std::vector<Tensor>& momentum_buffers, const SGDOptions& o);

struct AdamOptions {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0;
  bool amsgrad = false, maximize = false, decoupled_weight_decay = false;  // true: AdamW
};
// `steps[i]` is the step count of parameter i after this update (1 on the first call).
void adam_step(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
               std::vector<Tensor>& exp_avgs, std::vector<Tensor>& exp_avg_sqs,
               std::vector<Tensor>& max_exp_avg_sqs, const std::vector<int64_t>& steps,
               const AdamOptions& o);

struct AdagradOptions {
  double lr = 1e-2, lr_decay = 0, weight_decay = 0, eps = 1e-10;
  bool maximize = false;
};
void adagrad_step(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                  std::vector<Tensor>& sums, const std::vector<int64_t>& steps,
                  const AdagradOptions& o);

struct RMSpropOptions {
  double lr = 1e-2, alpha = 0.99, eps = 1e-8, weight_decay = 0, momentum = 0;
  bool centered = false, maximize = false;
};
void rmsprop_step(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                  std::vector<Tensor>& square_avgs, std::vector<Tensor>& grad_avgs,
                  std::vector<Tensor>& momentum_buffers, const RMSpropOptions& o);

struct AdadeltaOptions {
  double lr = 1.0, rho = 0.9, eps = 1e-6, weight_decay = 0;
  bool maximize = false;
};
void adadelta_step(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                   std::vector<Tensor>& square_avgs, std::vector<Tensor>& acc_deltas,
                   const AdadeltaOptions& o);

struct NAdamOptions {
  double lr = 2e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0,
         momentum_decay = 4e-3;
  bool maximize = false;
};
// `mu_products[i]` carries the running product of momentum coefficients (starts at 1).
void nadam_step(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                std::vector<Tensor>& exp_avgs, std::vector<Tensor>& exp_avg_sqs,
                std::vector<double>& mu_products, const std::vector<int64_t>& steps,
                const NAdamOptions& o);

struct AdamaxOptions {
  double lr = 2e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0;
  bool maximize = false;
};
// Adam with the infinity norm: u = max(beta2 * u, |g| + eps) replaces the second moment.
void adamax_step(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                 std::vector<Tensor>& exp_avgs, std::vector<Tensor>& exp_infs,
                 const std::vector<int64_t>& steps, const AdamaxOptions& o);

struct RAdamOptions {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0;
  bool decoupled_weight_decay = false, maximize = false;
};
// Rectified Adam: plain momentum SGD until the variance of the adaptive rate is tractable.
void radam_step(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                std::vector<Tensor>& exp_avgs, std::vector<Tensor>& exp_avg_sqs,
                const std::vector<int64_t>& steps, const RAdamOptions& o);

struct ASGDOptions {
  double lr = 1e-2, lambd = 1e-4, alpha = 0.75, t0 = 1e6, weight_decay = 0;
  bool maximize = false;
};
// Averaged SGD: p = p (1 - lambd eta) - eta g, and ax, the running average of p. etas[i] and
// mus[i] (the step size and averaging weight, starting at lr and 1) are updated for the next
// step.
void asgd_step(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
               std::vector<Tensor>& axs, std::vector<double>& etas, std::vector<double>& mus,
               const std::vector<int64_t>& steps, const ASGDOptions& o);

struct AdafactorOptions {
  double lr = 1e-2, beta2_decay = -0.8, eps1 = -1, eps2 = 1e-3, d = 1.0, weight_decay = 0;
  bool maximize = false;  // eps1 < 0: the dtype's machine epsilon
};
// Adafactor: the second moment of a matrix (the last two dims) kept as row and column means
// (row_vars: shape with the last dim 1; col_vars: the second-to-last 1); of a vector, in full
// (variances). The states must exist (zeros) with those shapes.
void adafactor_step(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                    std::vector<Tensor>& row_vars, std::vector<Tensor>& col_vars,
                    std::vector<Tensor>& variances, const std::vector<int64_t>& steps,
                    const AdafactorOptions& o);

struct RpropOptions {
  double lr = 1e-2, eta_minus = 0.5, eta_plus = 1.2, step_min = 1e-6, step_max = 50;
  bool maximize = false;
};
void rprop_step(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                std::vector<Tensor>& prevs, std::vector<Tensor>& step_sizes,
                const RpropOptions& o);

}  // namespace glia::optim
