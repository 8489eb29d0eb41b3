// Fused neural-network ops: linear, batch/layer norm, cross-entropy, nll.
#include "bindings.h"

using glia::Tensor;
using glia::nn::Reduction;

namespace {

Reduction reduction_from(const std::string& r, const char* op) {
  if (r == "mean") return Reduction::Mean;
  if (r == "sum") return Reduction::Sum;
  if (r == "none") return Reduction::None;
  throw glia::ShapeError(std::string(op) + ": reduction must be 'mean', 'sum' or 'none', got '" + r + "'");
}

}  // namespace

void init_nn(py::module_& m) {
  m.def("linear", [](const Tensor& x, const Tensor& w, const std::optional<Tensor>& b) {
    return glia::nn::linear(x, w, or_undefined(b));
  }, py::arg("input"), py::arg("weight"), py::arg("bias") = py::none());
  m.def("batch_norm", [](const Tensor& x, const std::optional<Tensor>& rm, const std::optional<Tensor>& rv,
                         const std::optional<Tensor>& w, const std::optional<Tensor>& b, bool training,
                         double momentum, double eps) {
    return glia::nn::batch_norm(x, or_undefined(rm), or_undefined(rv), or_undefined(w), or_undefined(b),
                                training, momentum, eps);
  }, py::arg("input"), py::arg("running_mean"), py::arg("running_var"), py::arg("weight") = py::none(),
     py::arg("bias") = py::none(), py::arg("training") = false, py::arg("momentum") = 0.1,
     py::arg("eps") = 1e-5);
  m.def("layer_norm", [](const Tensor& x, int64_t ndim, const std::optional<Tensor>& w,
                         const std::optional<Tensor>& b, double eps) {
    return glia::nn::layer_norm(x, ndim, or_undefined(w), or_undefined(b), eps);
  }, py::arg("input"), py::arg("normalized_ndim"), py::arg("weight") = py::none(),
     py::arg("bias") = py::none(), py::arg("eps") = 1e-5);
  m.def("conv", [](const Tensor& x, const Tensor& w, const std::optional<Tensor>& b, const glia::Shape& stride,
                   const glia::Shape& padding, const glia::Shape& dilation, int64_t groups) {
    return glia::nn::conv(x, w, or_undefined(b), stride, padding, dilation, groups);
  }, py::arg("input"), py::arg("weight"), py::arg("bias"), py::arg("stride"), py::arg("padding"),
     py::arg("dilation"), py::arg("groups"));
  m.def("conv_transpose", [](const Tensor& x, const Tensor& w, const std::optional<Tensor>& b,
                             const glia::Shape& stride, const glia::Shape& padding,
                             const glia::Shape& output_padding, const glia::Shape& dilation, int64_t groups) {
    return glia::nn::conv_transpose(x, w, or_undefined(b), stride, padding, output_padding, dilation, groups);
  }, py::arg("input"), py::arg("weight"), py::arg("bias"), py::arg("stride"), py::arg("padding"),
     py::arg("output_padding"), py::arg("dilation"), py::arg("groups"));
  m.def("max_pool", &glia::nn::max_pool, py::arg("input"), py::arg("kernel_size"), py::arg("stride"),
        py::arg("padding"), py::arg("dilation"), py::arg("ceil_mode"));
  m.def("avg_pool", &glia::nn::avg_pool, py::arg("input"), py::arg("kernel_size"), py::arg("stride"),
        py::arg("padding"), py::arg("ceil_mode"), py::arg("count_include_pad"), py::arg("divisor_override") = 0);
  m.def("adaptive_max_pool", &glia::nn::adaptive_max_pool, py::arg("input"), py::arg("output_size"));
  m.def("adaptive_avg_pool", &glia::nn::adaptive_avg_pool, py::arg("input"), py::arg("output_size"));
  m.def("cross_entropy", [](const Tensor& x, const Tensor& t, const std::optional<Tensor>& w,
                            int64_t ignore_index, const std::string& reduction, double smoothing) {
    return glia::nn::cross_entropy(x, t, or_undefined(w), ignore_index,
                                   reduction_from(reduction, "cross_entropy"), smoothing);
  }, py::arg("input"), py::arg("target"), py::arg("weight") = py::none(), py::arg("ignore_index") = -100,
     py::arg("reduction") = "mean", py::arg("label_smoothing") = 0.0);
  m.def("mse_loss", [](const Tensor& x, const Tensor& t, const std::string& reduction) {
    return glia::nn::mse_loss(x, t, reduction_from(reduction, "mse_loss"));
  }, py::arg("input"), py::arg("target"), py::arg("reduction") = "mean");
  m.def("nll_loss", [](const Tensor& x, const Tensor& t, const std::optional<Tensor>& w,
                       int64_t ignore_index, const std::string& reduction) {
    return glia::nn::nll_loss(x, t, or_undefined(w), ignore_index, reduction_from(reduction, "nll_loss"));
  }, py::arg("input"), py::arg("target"), py::arg("weight") = py::none(), py::arg("ignore_index") = -100,
     py::arg("reduction") = "mean");
  m.def("ctc_loss", &glia::nn::ctc_loss, py::arg("log_probs"), py::arg("targets"),
        py::arg("input_lengths"), py::arg("target_lengths"), py::arg("blank") = 0,
        py::arg("zero_infinity") = false);
}
