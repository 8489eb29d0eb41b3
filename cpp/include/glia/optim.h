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

struct RpropOptions {
  double lr = 1e-2, eta_minus = 0.5, eta_plus = 1.2, step_min = 1e-6, step_max = 50;
  bool maximize = false;
};
void rprop_step(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                std::vector<Tensor>& prevs, std::vector<Tensor>& step_sizes,
                const RpropOptions& o);

}  // namespace glia::optim
