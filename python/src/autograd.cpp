// Grad mode and the functional autograd entry points.
#include <pybind11/functional.h>

#include "bindings.h"

using glia::Tensor;

void init_autograd(py::module_& m) {
  m.def("is_grad_enabled", &glia::grad_enabled);
  m.def("_set_grad_enabled", &glia::set_grad_enabled, py::arg("mode"));
  m.def("_grad", [](const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                    const std::vector<std::optional<Tensor>>& grad_outputs, bool retain_graph,
                    bool create_graph, bool allow_unused) {
    std::vector<Tensor> grads = glia::grad(outputs, inputs, or_undefined(grad_outputs),
                                           retain_graph, create_graph, allow_unused);
    py::list result;
    for (auto& g : grads) result.append(g.defined() ? py::cast(g) : py::none());
    return result;
  });
  // glia.autograd.Function: `out` gets a node whose backward calls Python's
  // backward(grad, needs) -> one Tensor or None per input. `saved` are version-checked.
  m.def("_attach_python_grad_fn", [](Tensor out, const std::string& name,
                                     const std::vector<Tensor>& inputs,
                                     std::function<py::object(Tensor, std::vector<bool>)> fn,
                                     const std::vector<Tensor>& saved) {
    glia::attach_grad_fn(
        out, name.c_str(), inputs,
        [fn](const Tensor& g, const glia::NeedsGrad& needs) {
          py::gil_scoped_acquire gil;
          auto grads = fn(g, needs).cast<std::vector<std::optional<Tensor>>>();
          return or_undefined(grads);
        },
        saved);
  });
  m.def("_backward", [](const std::vector<Tensor>& outputs,
                        const std::vector<std::optional<Tensor>>& grad_outputs, bool retain_graph,
                        bool create_graph) {
    glia::backward(outputs, or_undefined(grad_outputs), retain_graph, create_graph);
  });
}
