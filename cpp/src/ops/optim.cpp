// Optimizer steps over whole parameter lists: check, create missing state, run kernels.
#include "cpu/optim.h"

#include <algorithm>
#include <cmath>
#include <initializer_list>

#include "check.h"
#include "dispatch.h"
#include "glia/autograd.h"
#include "glia/ops.h"
#include "glia/optim.h"

namespace glia::optim {

namespace {

void check_lists(const char* op, const std::vector<Tensor>& params, const std::vector<Tensor>& grads) {
  GLIA_CHECK(params.size() == grads.size(), ShapeError, op, ": got ", params.size(),
             " parameters but ", grads.size(), " gradients");
  for (size_t i = 0; i < params.size(); ++i) {
    const Tensor& p = params[i];
    GLIA_CHECK(p.defined() && grads[i].defined(), Error, op, ": parameter ", i,
               " or its gradient is undefined");
    GLIA_CHECK(is_floating(p.dtype()), DTypeError, op, ": parameter ", i,
               " must be floating point, got ", p.dtype());
    GLIA_CHECK(p.is_contiguous(), Error, op, ": parameter ", i, " must be contiguous");
    GLIA_CHECK(grads[i].shape() == p.shape(), ShapeError, op, ": gradient ", i, " has shape ",
               grads[i].shape(), " but the parameter has shape ", p.shape());
  }
}

// One step count per parameter (optimizers whose update depends on t).
void check_steps(const char* op, const std::vector<int64_t>& steps,
                 const std::vector<Tensor>& params) {
  GLIA_CHECK(steps.size() == params.size(), ShapeError, op, ": got ", steps.size(),
             " step counts for ", params.size(), " parameters");
}

// The state lists a step uses: null for one this step's options leave unused.
using StateLists = std::initializer_list<const std::vector<Tensor>*>;

// Checks every given state tensor of the lists this step uses before any parameter is
// updated, so that bad state (a wrong checkpoint) raises with nothing written.
void check_states(const char* op, const std::vector<Tensor>& params, StateLists lists) {
  for (const std::vector<Tensor>* list : lists) {
    for (size_t i = 0; list && i < std::min(list->size(), params.size()); ++i) {
      const Tensor& s = (*list)[i];
      const Tensor& p = params[i];
      if (!s.defined()) continue;
      GLIA_CHECK(s.shape() == p.shape(), ShapeError, op, ": state tensor ", i, " has shape ",
                 s.shape(), " but the parameter has shape ", p.shape());
      GLIA_CHECK(s.dtype() == p.dtype(), DTypeError, op, ": state tensor ", i, " has dtype ",
                 s.dtype(), " but the parameter has dtype ", p.dtype());
      GLIA_CHECK(s.is_contiguous(), Error, op, ": state tensor ", i, " must be contiguous");
    }
  }
}

// The state tensor for parameter i (checked by check_states), created (zeros, or `init`)
// when undefined.
Tensor& state(std::vector<Tensor>& list, size_t i, const Tensor& p, double init = 0.0) {
  if (list.size() <= i) list.resize(i + 1);
  if (!list[i].defined()) list[i] = full(p.shape(), Scalar(init), p.dtype());
  return list[i];
}

// The gradient as a contiguous buffer of the parameter's dtype.
Tensor grad_buffer(const Tensor& g, const Tensor& p) {
  return contiguous(detach(g.dtype() == p.dtype() ? g : g.to(p.dtype())));
}

// Checks the parameters, gradients and the given state lists, then runs f on each parameter.
template <class F>
void for_each_param(const char* op, const std::vector<Tensor>& params,
                    const std::vector<Tensor>& grads, StateLists states, const F& f) {
  check_lists(op, params, grads);
  check_states(op, params, states);
  NoGradGuard guard;
  for (size_t i = 0; i < params.size(); ++i) {
    Tensor g = grad_buffer(grads[i], params[i]);
    dispatch_float(params[i].dtype(), op, [&](auto tag) {
      using T = typename decltype(tag)::type;
      f(i, params[i].data<T>(), g.data<T>(), T{});
    });
    ++params[i].storage()->version;
  }
}

}  // namespace

void sgd_step(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
              std::vector<Tensor>& bufs, const SGDOptions& o) {
  bufs.resize(params.size());
  std::vector<Tensor>* momentum = o.momentum != 0 ? &bufs : nullptr;
  for_each_param("sgd", params, grads, {momentum},
                 [&](size_t i, auto* p, const auto* g, auto zero) {
    using T = decltype(zero);
    // state() creates a missing buffer, which is then seeded from the gradient (first)
    const bool first = momentum && !bufs[i].defined();
    T* buf = momentum ? state(bufs, i, params[i]).data<T>() : nullptr;
    cpu::sgd_update<T>(p, g, buf, params[i].numel(), o, first);
  });
}

void adam_step(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
               std::vector<Tensor>& m, std::vector<Tensor>& v, std::vector<Tensor>& vmax,
               const std::vector<int64_t>& steps, const AdamOptions& o) {
  check_steps("adam", steps, params);
  vmax.resize(params.size());
  std::vector<Tensor>* maxes = o.amsgrad ? &vmax : nullptr;
  for_each_param("adam", params, grads, {&m, &v, maxes},
                 [&](size_t i, auto* p, const auto* g, auto zero) {
    using T = decltype(zero);
    Tensor& mi = state(m, i, params[i]);
    Tensor& vi = state(v, i, params[i]);
    T* vm = maxes ? state(*maxes, i, params[i]).data<T>() : nullptr;
    cpu::adam_update<T>(p, g, mi.data<T>(), vi.data<T>(), vm, params[i].numel(), o, steps[i]);
  });
}

void adagrad_step(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                  std::vector<Tensor>& sums, const std::vector<int64_t>& steps,
                  const AdagradOptions& o) {
  check_steps("adagrad", steps, params);
  for_each_param("adagrad", params, grads, {&sums},
                 [&](size_t i, auto* p, const auto* g, auto zero) {
    using T = decltype(zero);
    Tensor& s = state(sums, i, params[i]);
    cpu::adagrad_update<T>(p, g, s.data<T>(), params[i].numel(), o, steps[i]);
  });
}

void rmsprop_step(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                  std::vector<Tensor>& sq, std::vector<Tensor>& gavg, std::vector<Tensor>& bufs,
                  const RMSpropOptions& o) {
  gavg.resize(params.size());
  bufs.resize(params.size());
  std::vector<Tensor>* averages = o.centered ? &gavg : nullptr;
  std::vector<Tensor>* momentum = o.momentum > 0 ? &bufs : nullptr;
  for_each_param("rmsprop", params, grads, {&sq, averages, momentum},
                 [&](size_t i, auto* p, const auto* g, auto zero) {
    using T = decltype(zero);
    Tensor& s = state(sq, i, params[i]);
    T* ga = averages ? state(*averages, i, params[i]).data<T>() : nullptr;
    T* b = momentum ? state(*momentum, i, params[i]).data<T>() : nullptr;
    cpu::rmsprop_update<T>(p, g, s.data<T>(), ga, b, params[i].numel(), o);
  });
}

void adadelta_step(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                   std::vector<Tensor>& sq, std::vector<Tensor>& acc, const AdadeltaOptions& o) {
  for_each_param("adadelta", params, grads, {&sq, &acc},
                 [&](size_t i, auto* p, const auto* g, auto zero) {
    using T = decltype(zero);
    Tensor& s = state(sq, i, params[i]);
    Tensor& a = state(acc, i, params[i]);
    cpu::adadelta_update<T>(p, g, s.data<T>(), a.data<T>(), params[i].numel(), o);
  });
}

void nadam_step(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                std::vector<Tensor>& m, std::vector<Tensor>& v, std::vector<double>& mu_products,
                const std::vector<int64_t>& steps, const NAdamOptions& o) {
  check_steps("nadam", steps, params);
  mu_products.resize(params.size(), 1.0);
  for_each_param("nadam", params, grads, {&m, &v},
                 [&](size_t i, auto* p, const auto* g, auto zero) {
    using T = decltype(zero);
    double t = double(steps[i]);
    double mu = o.beta1 * (1 - 0.5 * std::pow(0.96, t * o.momentum_decay));
    double mu_next = o.beta1 * (1 - 0.5 * std::pow(0.96, (t + 1) * o.momentum_decay));
    mu_products[i] *= mu;
    Tensor& mi = state(m, i, params[i]);
    Tensor& vi = state(v, i, params[i]);
    cpu::nadam_update<T>(p, g, mi.data<T>(), vi.data<T>(), params[i].numel(), o, steps[i], mu,
                         mu_next, mu_products[i]);
  });
}

void adamax_step(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                 std::vector<Tensor>& m, std::vector<Tensor>& u, const std::vector<int64_t>& steps,
                 const AdamaxOptions& o) {
  check_steps("adamax", steps, params);
  for_each_param("adamax", params, grads, {&m, &u},
                 [&](size_t i, auto* p, const auto* g, auto zero) {
    using T = decltype(zero);
    Tensor& mi = state(m, i, params[i]);
    Tensor& ui = state(u, i, params[i]);
    cpu::adamax_update<T>(p, g, mi.data<T>(), ui.data<T>(), params[i].numel(), o, steps[i]);
  });
}

void radam_step(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                std::vector<Tensor>& m, std::vector<Tensor>& v, const std::vector<int64_t>& steps,
                const RAdamOptions& o) {
  check_steps("radam", steps, params);
  for_each_param("radam", params, grads, {&m, &v},
                 [&](size_t i, auto* p, const auto* g, auto zero) {
    using T = decltype(zero);
    Tensor& mi = state(m, i, params[i]);
    Tensor& vi = state(v, i, params[i]);
    cpu::radam_update<T>(p, g, mi.data<T>(), vi.data<T>(), params[i].numel(), o, steps[i]);
  });
}

void rprop_step(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                std::vector<Tensor>& prevs, std::vector<Tensor>& step_sizes, const RpropOptions& o) {
  for_each_param("rprop", params, grads, {&prevs, &step_sizes},
                 [&](size_t i, auto* p, const auto* g, auto zero) {
    using T = decltype(zero);
    Tensor& prev = state(prevs, i, params[i]);
    Tensor& steps = state(step_sizes, i, params[i], o.lr);
    cpu::rprop_update<T>(p, g, prev.data<T>(), steps.data<T>(), params[i].numel(), o);
  });
}

}  // namespace glia::optim
