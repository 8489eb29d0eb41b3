// C++ errors become the Python exceptions a user expects.
#include "bindings.h"

void init_errors(py::module_&) {
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const glia::ShapeError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const glia::DTypeError& e) {
      PyErr_SetString(PyExc_TypeError, e.what());
    } catch (const glia::IndexError& e) {
      PyErr_SetString(PyExc_IndexError, e.what());
    } catch (const glia::Error& e) {
      PyErr_SetString(PyExc_RuntimeError, e.what());
    } catch (const std::bad_alloc&) {
      PyErr_SetString(PyExc_MemoryError, "glia: out of memory");
    }
  });
}
