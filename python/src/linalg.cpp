// glia.linalg's core: factorizations and matrix functions (python/glia/linalg.py names them
// as torch.linalg does).
#include "bindings.h"

using glia::Tensor;

void init_linalg(py::module_& m) {
  m.def("_linalg_det", &glia::det, py::arg("A"));
  m.def("_linalg_slogdet", &glia::slogdet, py::arg("A"));
  m.def("_linalg_inv", &glia::inv, py::arg("A"));
  m.def("_linalg_solve", &glia::linalg_solve, py::arg("A"), py::arg("B"));
  m.def("_linalg_cholesky", &glia::cholesky, py::arg("A"), py::arg("upper"));
  m.def("_linalg_eigh", &glia::eigh, py::arg("A"));
  m.def("_linalg_eigvalsh", &glia::eigvalsh, py::arg("A"));
  m.def("_linalg_svd", &glia::linalg_svd, py::arg("A"), py::arg("full_matrices"));
  m.def("_linalg_svdvals", &glia::svdvals, py::arg("A"));
  m.def("_linalg_qr", &glia::qr, py::arg("A"), py::arg("mode"));
}
