// Attention: the fused scaled dot-product attention op.
#include "bindings.h"

using glia::Tensor;

void init_attention(py::module_& m) {
  m.def(
      "scaled_dot_product_attention",
      [](const Tensor& q, const Tensor& k, const Tensor& v, const std::optional<Tensor>& mask,
         bool is_causal, std::optional<double> scale) {
        return glia::nn::scaled_dot_product_attention(q, k, v, or_undefined(mask), is_causal,
                                                      scale);
      },
      py::arg("query"), py::arg("key"), py::arg("value"), py::arg("attn_mask") = py::none(),
      py::arg("is_causal") = false, py::arg("scale") = py::none(),
      R"doc(softmax(query @ key^T * scale + attn_mask) @ value, fused and blockwise.

Args:
    query (..., L, E), key (..., S, E), value (..., S, Ev): leading dims broadcast.
    attn_mask: bool (True = attend) or additive float, broadcastable to (..., L, S).
    is_causal: query l attends to keys s <= l (top-left aligned).
    scale: defaults to 1 / sqrt(E).
Returns:
    (..., L, Ev). Rows that attend to no key are 0.)doc");
}
