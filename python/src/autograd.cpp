// Grad mode and the functional autograd entry points.
#include "bindings.h"

using glia::Tensor;

namespace {

std::vector<Tensor> optional_list(const std::vector<std::optional<Tensor>>& xs) {
  std::vector<Tensor> out;
  for (auto& x : xs) out.push_back(x ? *x : Tensor());
  return out;
}

}  // namespace

void init_autograd(py::module_& m) {
  m.def("is_grad_enabled", &glia::grad_enabled);
  m.def("_set_grad_enabled", &glia::set_grad_enabled, py::arg("mode"));
  m.def("_grad", [](const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                    const std::vector<std::optional<Tensor>>& grad_outputs, bool retain_graph,
                    bool create_graph, bool allow_unused) {
    std::vector<Tensor> grads = glia::grad(outputs, inputs, optional_list(grad_outputs),
                                           retain_graph, create_graph, allow_unused);
    py::list result;
    for (auto& g : grads) result.append(g.defined() ? py::cast(g) : py::none());
    return result;
  });
  m.def("_backward", [](const std::vector<Tensor>& outputs,
                        const std::vector<std::optional<Tensor>>& grad_outputs, bool retain_graph,
                        bool create_graph) {
    glia::backward(outputs, optional_list(grad_outputs), retain_graph, create_graph);
  });
}
