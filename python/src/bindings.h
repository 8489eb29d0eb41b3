#pragma once
// Shared declarations of the binding files: one init function per area.
#include <optional>

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "glia/glia.h"

namespace py = pybind11;

// Python numbers (bool, int, float and NumPy scalars) arrive as glia::Scalar.
namespace pybind11::detail {
template <>
struct type_caster<glia::Scalar> {
  PYBIND11_TYPE_CASTER(glia::Scalar, const_name("number"));
  bool load(handle src, bool) {
    PyObject* o = src.ptr();
    if (PyBool_Check(o)) {
      value = glia::Scalar(o == Py_True);
      return true;
    }
    if (PyLong_Check(o)) {
      int overflow = 0;
      long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
      if (overflow) return false;
      value = glia::Scalar(static_cast<int64_t>(v));
      return true;
    }
    if (PyFloat_Check(o)) {
      value = glia::Scalar(PyFloat_AS_DOUBLE(o));
      return true;
    }
    // NumPy scalars: integers have __index__, floats have __float__
    std::string type = Py_TYPE(o)->tp_name;
    if (type.rfind("numpy.", 0) == 0) {
      if (type == "numpy.bool" || type == "numpy.bool_") {
        value = glia::Scalar(PyObject_IsTrue(o) == 1);
        return true;
      }
      if (PyIndex_Check(o)) {
        value = glia::Scalar(static_cast<int64_t>(PyNumber_AsSsize_t(o, nullptr)));
        return true;
      }
      double d = PyFloat_AsDouble(o);
      if (d == -1.0 && PyErr_Occurred()) {
        PyErr_Clear();
        return false;
      }
      value = glia::Scalar(d);
      return true;
    }
    return false;
  }
  static handle cast(const glia::Scalar& s, return_value_policy, handle) {
    if (s.kind == glia::Scalar::Kind::Float) return PyFloat_FromDouble(s.value);
    if (s.kind == glia::Scalar::Kind::Int) return PyLong_FromLongLong(static_cast<long long>(s.value));
    return PyBool_FromLong(s.value != 0);
  }
};
}  // namespace pybind11::detail

void init_errors(py::module_& m);
void init_tensor(py::module_& m);
void init_ops(py::module_& m);
void init_autograd(py::module_& m);
void init_nn(py::module_& m);
void init_attention(py::module_& m);
void init_optim(py::module_& m);
void init_rnn(py::module_& m);
void init_linalg(py::module_& m);

// An optional tensor argument (None) as the core's undefined Tensor.
inline glia::Tensor or_undefined(const std::optional<glia::Tensor>& t) { return t ? *t : glia::Tensor(); }
// The same for a list with None entries.
inline std::vector<glia::Tensor> or_undefined(const std::vector<std::optional<glia::Tensor>>& ts) {
  std::vector<glia::Tensor> out;
  for (const auto& t : ts) out.push_back(or_undefined(t));
  return out;
}

// Reads a shape given as a tuple/list of ints or as separate int arguments.
glia::Shape shape_from_args(const py::args& args);
glia::Shape shape_from(py::handle h);
