// Optimizer updates over whole parameter lists. Python passes the state tensors it keeps
// (created with zeros_like), so C++ updates them in place.
#include "bindings.h"

using glia::Tensor;
using Tensors = std::vector<Tensor>;
using Steps = std::vector<int64_t>;
namespace o = glia::optim;

void init_optim(py::module_& m) {
  // Momentum buffers: None where a parameter has none yet (C++ starts it from the gradient);
  // the result has None where no buffer exists (momentum 0), never an undefined tensor.
  m.def("_sgd_step", [](const Tensors& p, const Tensors& g, const std::vector<std::optional<Tensor>>& in,
                        double lr, double momentum, double dampening, double wd, bool nesterov,
                        bool maximize) {
    Tensors bufs = or_undefined(in);
    glia::optim::sgd_step(p, g, bufs, o::SGDOptions{lr, momentum, dampening, wd, nesterov, maximize});
    std::vector<std::optional<Tensor>> out;
    for (auto& b : bufs) out.push_back(b.defined() ? std::optional<Tensor>(b) : std::nullopt);
    return out;
  });
  m.def("_adam_step", [](const Tensors& p, const Tensors& g, Tensors m1, Tensors m2, Tensors vmax,
                         const Steps& steps, double lr, double b1, double b2, double eps, double wd,
                         bool amsgrad, bool maximize, bool decoupled) {
    glia::optim::adam_step(p, g, m1, m2, vmax, steps,
                           o::AdamOptions{lr, b1, b2, eps, wd, amsgrad, maximize, decoupled});
  });
  m.def("_adagrad_step", [](const Tensors& p, const Tensors& g, Tensors sums, const Steps& steps,
                            double lr, double lr_decay, double wd, double eps, bool maximize) {
    glia::optim::adagrad_step(p, g, sums, steps, o::AdagradOptions{lr, lr_decay, wd, eps, maximize});
  });
  m.def("_rmsprop_step", [](const Tensors& p, const Tensors& g, Tensors sq, Tensors gavg, Tensors bufs,
                            double lr, double alpha, double eps, double wd, double momentum,
                            bool centered, bool maximize) {
    glia::optim::rmsprop_step(p, g, sq, gavg, bufs,
                              o::RMSpropOptions{lr, alpha, eps, wd, momentum, centered, maximize});
  });
  m.def("_adadelta_step", [](const Tensors& p, const Tensors& g, Tensors sq, Tensors acc, double lr,
                             double rho, double eps, double wd, bool maximize) {
    glia::optim::adadelta_step(p, g, sq, acc, o::AdadeltaOptions{lr, rho, eps, wd, maximize});
  });
  m.def("_nadam_step", [](const Tensors& p, const Tensors& g, Tensors m1, Tensors m2,
                          std::vector<double> mu_products, const Steps& steps, double lr, double b1,
                          double b2, double eps, double wd, double momentum_decay, bool maximize) {
    glia::optim::nadam_step(p, g, m1, m2, mu_products, steps,
                            o::NAdamOptions{lr, b1, b2, eps, wd, momentum_decay, maximize});
    return mu_products;
  });
  m.def("_adamax_step", [](const Tensors& p, const Tensors& g, Tensors m1, Tensors u,
                           const Steps& steps, double lr, double b1, double b2, double eps,
                           double wd, bool maximize) {
    glia::optim::adamax_step(p, g, m1, u, steps, o::AdamaxOptions{lr, b1, b2, eps, wd, maximize});
  });
  m.def("_radam_step", [](const Tensors& p, const Tensors& g, Tensors m1, Tensors m2,
                          const Steps& steps, double lr, double b1, double b2, double eps,
                          double wd, bool decoupled, bool maximize) {
    glia::optim::radam_step(p, g, m1, m2, steps,
                            o::RAdamOptions{lr, b1, b2, eps, wd, decoupled, maximize});
  });
  m.def("_asgd_step", [](const Tensors& p, const Tensors& g, Tensors axs, std::vector<double> etas,
                         std::vector<double> mus, const Steps& steps, double lr, double lambd,
                         double alpha, double t0, double wd, bool maximize) {
    glia::optim::asgd_step(p, g, axs, etas, mus, steps,
                           o::ASGDOptions{lr, lambd, alpha, t0, wd, maximize});
    return py::make_tuple(etas, mus);
  });
  m.def("_adafactor_step", [](const Tensors& p, const Tensors& g,
                              const std::vector<std::optional<Tensor>>& rows,
                              const std::vector<std::optional<Tensor>>& cols,
                              const std::vector<std::optional<Tensor>>& vars, const Steps& steps,
                              double lr, double beta2_decay, double eps1, double eps2, double d,
                              double wd, bool maximize) {
    Tensors r = or_undefined(rows), c = or_undefined(cols), v = or_undefined(vars);
    glia::optim::adafactor_step(p, g, r, c, v, steps,
                                o::AdafactorOptions{lr, beta2_decay, eps1, eps2, d, wd, maximize});
  });
  m.def("_rprop_step", [](const Tensors& p, const Tensors& g, Tensors prevs, Tensors step_sizes,
                          double lr, double eta_minus, double eta_plus, double step_min,
                          double step_max, bool maximize) {
    glia::optim::rprop_step(p, g, prevs, step_sizes,
                            o::RpropOptions{lr, eta_minus, eta_plus, step_min, step_max, maximize});
  });
}
