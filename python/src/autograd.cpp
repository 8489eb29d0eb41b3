// Grad mode and the functional autograd entry points.
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
  m.def("_backward", [](const std::vector<Tensor>& outputs,
                        const std::vector<std::optional<Tensor>>& grad_outputs, bool retain_graph,
                        bool create_graph) {
    glia::backward(outputs, or_undefined(grad_outputs), retain_graph, create_graph);
  });
}
