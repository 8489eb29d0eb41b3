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

void asgd_step(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
               std::vector<Tensor>& axs, std::vector<double>& etas, std::vector<double>& mus,
               const std::vector<int64_t>& steps, const ASGDOptions& o) {
  check_steps("asgd", steps, params);
  etas.resize(params.size(), o.lr);
  mus.resize(params.size(), 1.0);
  for_each_param("asgd", params, grads, {&axs}, [&](size_t i, auto* p, const auto* g, auto zero) {
    using T = decltype(zero);
    Tensor& ax = state(axs, i, params[i]);
    cpu::asgd_update<T>(p, g, ax.data<T>(), params[i].numel(), o, etas[i], mus[i]);
    const double t = double(steps[i]);
    etas[i] = o.lr / std::pow(1 + o.lambd * o.lr * t, o.alpha);
    mus[i] = 1 / std::max(1.0, t - o.t0);
  });
}

void adafactor_step(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                    std::vector<Tensor>& row_vars, std::vector<Tensor>& col_vars,
                    std::vector<Tensor>& variances, const std::vector<int64_t>& steps,
                    const AdafactorOptions& o) {
  check_steps("adafactor", steps, params);
  check_lists("adafactor", params, grads);
  GLIA_CHECK(row_vars.size() == params.size() && col_vars.size() == params.size() &&
                 variances.size() == params.size(),
             ShapeError, "adafactor: expected one state entry of each kind per parameter");
  // every state tensor is checked before any parameter changes
  for (size_t i = 0; i < params.size(); ++i) {
    const Tensor& p = params[i];
    const bool factored = p.dim() > 1;
    Shape row = p.shape(), col = p.shape();
    if (factored) {
      row.back() = 1;
      col[col.size() - 2] = 1;
    }
    auto check = [&](const Tensor& s, const Shape& want, const char* name) {
      GLIA_CHECK(s.defined(), Error, "adafactor: state tensor ", i, " (", name, ") is missing");
      GLIA_CHECK(s.shape() == want, ShapeError, "adafactor: state tensor ", i, " (", name,
                 ") has shape ", s.shape(), " but should have shape ", want);
      GLIA_CHECK(s.dtype() == p.dtype(), DTypeError, "adafactor: state tensor ", i, " (", name,
                 ") has dtype ", s.dtype(), " but the parameter has dtype ", p.dtype());
      GLIA_CHECK(s.is_contiguous(), Error, "adafactor: state tensor ", i, " must be contiguous");
    };
    if (factored) {
      check(row_vars[i], row, "row_var");
      check(col_vars[i], col, "col_var");
    } else {
      check(variances[i], p.shape(), "variance");
    }
  }
  NoGradGuard guard;
  for (size_t i = 0; i < params.size(); ++i) {
    const Tensor& p = params[i];
    Tensor g = grad_buffer(grads[i], p);
    const bool factored = p.dim() > 1;
    const int64_t cols = p.dim() ? p.shape().back() : 1;
    const int64_t rows = factored ? p.shape()[p.dim() - 2] : 1;
    const int64_t batches = factored && rows * cols != 0 ? p.numel() / (rows * cols) : 1;
    if (p.numel() == 0) continue;
    dispatch_float(p.dtype(), "adafactor", [&](auto tag) {
      using T = typename decltype(tag)::type;
      cpu::adafactor_update<T>(p.data<T>(), g.data<T>(),
                               factored ? row_vars[i].data<T>() : nullptr,
                               factored ? col_vars[i].data<T>() : nullptr,
                               factored ? nullptr : variances[i].data<T>(), batches, rows,
                               factored ? cols : p.numel(), o, steps[i]);
    });
    ++params[i].storage()->version;
  }
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
