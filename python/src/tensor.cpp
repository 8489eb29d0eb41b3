// The Tensor class, dtypes, and zero-copy exchange with NumPy and DLPack.
#include <pybind11/functional.h>
#include <pybind11/numpy.h>

#include "bindings.h"

using glia::DType;
using glia::Shape;
using glia::Tensor;

glia::Shape shape_from(py::handle h) {
  Shape s;
  if (py::isinstance<py::int_>(h)) {
    s.push_back(h.cast<int64_t>());
    return s;
  }
  for (auto item : h) s.push_back(item.cast<int64_t>());
  return s;
}

glia::Shape shape_from_args(const py::args& args) {
  if (args.size() == 1 && !py::isinstance<py::int_>(args[0])) return shape_from(args[0]);
  Shape s;
  for (auto item : args) s.push_back(item.cast<int64_t>());
  return s;
}

namespace {

py::dtype numpy_dtype(DType d) {
  switch (d) {
    case DType::Bool: return py::dtype::of<bool>();
    case DType::Int64: return py::dtype::of<int64_t>();
    case DType::Float32: return py::dtype::of<float>();
    case DType::Float64: return py::dtype::of<double>();
  }
  return py::dtype::of<float>();
}

DType dtype_from_numpy(const py::dtype& dt) {
  char kind = dt.kind();
  if (kind == 'b') return DType::Bool;
  if (kind == 'i' || kind == 'u') return DType::Int64;
  if (kind == 'f') return dt.itemsize() == 8 ? DType::Float64 : DType::Float32;
  throw glia::DTypeError("tensor: cannot make a tensor from a NumPy array of dtype " +
                         std::string(py::str(dt)));
}

// Zero-copy view of a NumPy array of a supported dtype; other dtypes are converted.
Tensor from_numpy(py::array arr) {
  DType d = dtype_from_numpy(arr.dtype());
  if (!arr.dtype().is(numpy_dtype(d)) || !(arr.dtype().byteorder() == '=' || arr.dtype().byteorder() == '|')) {
    arr = py::array(py::module_::import("numpy").attr("asarray")(arr, numpy_dtype(d)));
  }
  Shape shape(arr.ndim()), strides(arr.ndim());
  const int64_t isz = static_cast<int64_t>(glia::itemsize(d));
  for (py::ssize_t i = 0; i < arr.ndim(); ++i) {
    shape[i] = arr.shape(i);
    if (arr.strides(i) % isz != 0) {
      arr = py::array(py::module_::import("numpy").attr("ascontiguousarray")(arr));
      return from_numpy(arr);
    }
    strides[i] = arr.strides(i) / isz;
  }
  auto storage = std::make_shared<glia::Storage>();
  storage->data = const_cast<void*>(arr.data());
  storage->nbytes = static_cast<size_t>(arr.nbytes());
  PyObject* owner = arr.ptr();
  Py_INCREF(owner);
  storage->owner = std::shared_ptr<void>(owner, [](void* o) {
    py::gil_scoped_acquire gil;
    Py_DECREF(static_cast<PyObject*>(o));
  });
  return Tensor::make(storage, shape, strides, 0, d);
}

py::array to_numpy(const Tensor& t) {
  if (t.requires_grad())
    throw glia::Error("numpy: can't call numpy() on a tensor that requires grad; use "
                      "tensor.detach().numpy()");
  const int64_t isz = static_cast<int64_t>(glia::itemsize(t.dtype()));
  std::vector<py::ssize_t> shape(t.shape().begin(), t.shape().end()), strides;
  for (int64_t s : t.strides()) strides.push_back(s * isz);
  auto* keep = new Tensor(t.detach());
  py::capsule base(keep, [](void* p) { delete static_cast<Tensor*>(p); });
  return py::array(numpy_dtype(t.dtype()), shape, strides, t.data_ptr(), base);
}

// ---- DLPack (v0.x ABI, unversioned "dltensor" capsules) ----
struct DLDevice {
  int32_t device_type;
  int32_t device_id;
};
struct DLDataType {
  uint8_t code;
  uint8_t bits;
  uint16_t lanes;
};
struct DLTensor {
  void* data;
  DLDevice device;
  int32_t ndim;
  DLDataType dtype;
  int64_t* shape;
  int64_t* strides;
  uint64_t byte_offset;
};
struct DLManagedTensor {
  DLTensor dl_tensor;
  void* manager_ctx;
  void (*deleter)(DLManagedTensor*);
};
constexpr int32_t kDLCPU = 1;
constexpr uint8_t kDLInt = 0, kDLFloat = 2, kDLBool = 6;

struct DLContext {
  Tensor tensor;
  Shape shape, strides;
  DLManagedTensor managed;
};

py::capsule to_dlpack(const Tensor& t) {
  auto* ctx = new DLContext{t.detach(), t.shape(), t.strides(), {}};
  DLTensor& dl = ctx->managed.dl_tensor;
  dl.data = t.data_ptr();
  dl.device = {kDLCPU, 0};
  dl.ndim = static_cast<int32_t>(t.dim());
  switch (t.dtype()) {
    case DType::Bool: dl.dtype = {kDLBool, 8, 1}; break;
    case DType::Int64: dl.dtype = {kDLInt, 64, 1}; break;
    case DType::Float32: dl.dtype = {kDLFloat, 32, 1}; break;
    case DType::Float64: dl.dtype = {kDLFloat, 64, 1}; break;
  }
  dl.shape = ctx->shape.data();
  dl.strides = ctx->strides.data();
  dl.byte_offset = 0;
  ctx->managed.manager_ctx = ctx;
  ctx->managed.deleter = [](DLManagedTensor* m) { delete static_cast<DLContext*>(m->manager_ctx); };
  return py::capsule(&ctx->managed, "dltensor", [](PyObject* cap) {
    // Only a capsule nobody consumed still owns its tensor.
    if (PyCapsule_IsValid(cap, "dltensor")) {
      auto* m = static_cast<DLManagedTensor*>(PyCapsule_GetPointer(cap, "dltensor"));
      if (m && m->deleter) m->deleter(m);
    }
  });
}

Tensor from_dlpack(py::object obj) {
  if (py::isinstance<Tensor>(obj)) return obj.cast<Tensor>().detach();
  py::object cap_obj = obj;
  if (py::hasattr(obj, "__dlpack__")) cap_obj = obj.attr("__dlpack__")();
  PyObject* cap = cap_obj.ptr();
  if (!PyCapsule_IsValid(cap, "dltensor"))
    throw glia::DTypeError("from_dlpack: expected an object with __dlpack__ or a 'dltensor' capsule");
  auto* m = static_cast<DLManagedTensor*>(PyCapsule_GetPointer(cap, "dltensor"));
  const DLTensor& dl = m->dl_tensor;
  if (dl.device.device_type != kDLCPU)
    throw glia::DeviceError("from_dlpack: only CPU tensors can be imported, got device type " +
                            std::to_string(dl.device.device_type));
  DType d;
  if (dl.dtype.lanes != 1) throw glia::DTypeError("from_dlpack: vector dtypes are not supported");
  if (dl.dtype.code == kDLFloat && dl.dtype.bits == 32) d = DType::Float32;
  else if (dl.dtype.code == kDLFloat && dl.dtype.bits == 64) d = DType::Float64;
  else if (dl.dtype.code == kDLInt && dl.dtype.bits == 64) d = DType::Int64;
  else if (dl.dtype.code == kDLBool && dl.dtype.bits == 8) d = DType::Bool;
  else
    throw glia::DTypeError("from_dlpack: unsupported dtype (code " + std::to_string(dl.dtype.code) +
                           ", bits " + std::to_string(dl.dtype.bits) +
                           "); glia holds bool, int64, float32 and float64");
  Shape shape(dl.shape, dl.shape + dl.ndim);
  Shape strides = dl.strides ? Shape(dl.strides, dl.strides + dl.ndim) : glia::contiguous_strides(shape);
  auto storage = std::make_shared<glia::Storage>();
  storage->data = static_cast<char*>(dl.data) + dl.byte_offset;
  storage->owner = std::shared_ptr<void>(m, [](void* p) {
    auto* mt = static_cast<DLManagedTensor*>(p);
    py::gil_scoped_acquire gil;
    if (mt->deleter) mt->deleter(mt);
  });
  PyCapsule_SetName(cap, "used_dltensor");
  return Tensor::make(storage, shape, strides, 0, d);
}

}  // namespace

void init_tensor(py::module_& m) {
  py::enum_<DType>(m, "dtype", "Element type of a tensor")
      .value("bool", DType::Bool)
      .value("int64", DType::Int64)
      .value("float32", DType::Float32)
      .value("float64", DType::Float64)
      .def("__repr__", [](DType d) { return std::string("glia.") + glia::dtype_name(d); })
      .def("__str__", [](DType d) { return std::string("glia.") + glia::dtype_name(d); })
      .def_property_readonly("is_floating_point", [](DType d) { return glia::is_floating(d); })
      .def_property_readonly("itemsize", [](DType d) { return glia::itemsize(d); });

  py::class_<Tensor> t(m, "Tensor", "An n-dimensional array with automatic differentiation");
  // Tensor(t): a new leaf sharing t's memory (what nn.Parameter is built on).
  t.def(py::init([](const Tensor& other) { return other.detach(); }), py::arg("data"));
  t.def_property_readonly("shape", [](const Tensor& x) {
     py::tuple s(x.dim());
     for (int64_t i = 0; i < x.dim(); ++i) s[i] = x.shape()[i];
     return s;
   })
      .def_property_readonly("dtype", &Tensor::dtype)
      .def_property_readonly("ndim", &Tensor::dim)
      .def("dim", &Tensor::dim)
      .def("numel", &Tensor::numel)
      .def("size", [](const Tensor& x, py::object d) -> py::object {
         if (d.is_none()) {
           py::tuple s(x.dim());
           for (int64_t i = 0; i < x.dim(); ++i) s[i] = x.shape()[i];
           return s;
         }
         return py::int_(x.size(d.cast<int64_t>()));
       }, py::arg("dim") = py::none())
      .def("stride", [](const Tensor& x) {
        py::tuple s(x.dim());
        for (int64_t i = 0; i < x.dim(); ++i) s[i] = x.strides()[i];
        return s;
      })
      .def("storage_offset", &Tensor::offset)
      .def("is_contiguous", &Tensor::is_contiguous)
      .def("data_ptr", [](const Tensor& x) { return reinterpret_cast<uintptr_t>(x.data_ptr()); })
      .def_property_readonly("device", [](const Tensor&) { return "cpu"; })
      .def("__len__", [](const Tensor& x) {
        if (x.dim() == 0) throw py::type_error("len() of a 0-d tensor");
        return x.shape()[0];
      })
      // autograd fields
      .def_property("requires_grad", &Tensor::requires_grad,
                    [](Tensor& x, bool f) { x.requires_grad_(f); })
      .def("requires_grad_", [](Tensor& x, bool f) { x.requires_grad_(f); return x; },
           py::arg("requires_grad") = true)
      .def_property("grad",
                    [](const Tensor& x) -> py::object {
                      Tensor g = x.grad();
                      if (!g.defined()) return py::none();
                      return py::cast(g);
                    },
                    [](const Tensor& x, py::object g) {
                      x.set_grad(g.is_none() ? Tensor() : g.cast<Tensor>());
                    })
      // .data: the values without autograd history; assigning swaps in new values (any dtype
      // or shape) while the tensor object, and so its identity as a Parameter, stays.
      .def_property("data", &Tensor::detach, [](Tensor& x, const Tensor& v) {
        glia::TensorImpl* impl = x.impl();
        // A graph node reads the gradient as its output's shape and dtype, so a tensor with
        // a grad_fn keeps both; a leaf's .grad goes with its old shape or dtype.
        if (impl->grad_fn && (impl->shape != v.shape() || impl->dtype != v.dtype()))
          throw glia::Error("data: cannot change the shape or dtype of a tensor that has a grad_fn (" +
                            glia::shape_str(impl->shape) + " " + glia::dtype_name(impl->dtype) + " to " +
                            glia::shape_str(v.shape()) + " " + glia::dtype_name(v.dtype()) + ")");
        if (impl->dtype != v.dtype() || impl->shape != v.shape()) impl->grad = nullptr;
        impl->storage = v.storage();
        impl->shape = v.shape();
        impl->strides = v.strides();
        impl->offset = v.offset();
        impl->numel = v.numel();
        impl->dtype = v.dtype();
      })
      .def_property_readonly("grad_fn", [](const Tensor& x) -> py::object {
        if (!x.grad_fn()) return py::none();
        return py::str(x.grad_fn()->name());
      })
      .def_property_readonly("is_leaf", &Tensor::is_leaf)
      .def("backward", [](const Tensor& x, py::object gradient, bool retain_graph, bool create_graph) {
         Tensor g = gradient.is_none() ? Tensor() : gradient.cast<Tensor>();
         x.backward(g, retain_graph, create_graph);
       }, py::arg("gradient") = py::none(), py::arg("retain_graph") = false,
         py::arg("create_graph") = false)
      .def("detach", &Tensor::detach)
      // In-place writes under autograd (python/glia/_write_history.py, view_history.cpp)
      .def("_view_base", [](const Tensor& x) -> py::object {
        std::shared_ptr<glia::TensorImpl> base = x.impl()->view_base.lock();
        if (!base) return py::none();
        return py::cast(Tensor(base));
      })
      .def("_view_positions", [](const Tensor& base, const Tensor& view) {
        return glia::view_positions(base, view);
      })
      .def("_write_at_positions", [](Tensor& base, const Tensor& positions, const Tensor& values) {
        glia::write_at_positions(base, positions, values);
      })
      .def("detach_", [](Tensor& x) {
        x.impl()->grad_fn = nullptr;
        x.impl()->requires_grad = false;
        return x;
      })
      .def("retain_grad", &Tensor::retain_grad)
      .def("register_hook", [](const Tensor& x, std::function<py::object(Tensor)> hook) {
        x.register_hook([hook](const Tensor& g) -> Tensor {
          py::object r = hook(g);
          return r.is_none() ? Tensor() : r.cast<Tensor>();
        });
      })
      // conversions
      .def("numpy", &to_numpy)
      .def("__array__", [](const Tensor& x, py::object dtype, py::object) {
         py::array a = to_numpy(x.requires_grad() ? x.detach() : x);
         if (!dtype.is_none()) return py::array(a.attr("astype")(dtype));
         return a;
       }, py::arg("dtype") = py::none(), py::arg("copy") = py::none())
      .def("item", [](const Tensor& x) -> py::object {
        switch (x.dtype()) {
          case DType::Bool: return py::bool_(x.item<bool>());
          case DType::Int64: return py::int_(x.item<int64_t>());
          default: return py::float_(x.item<double>());
        }
      })
      .def("__dlpack__", [](const Tensor& x, py::kwargs) { return to_dlpack(x); })
      .def("__dlpack_device__", [](const Tensor&) { return py::make_tuple(kDLCPU, 0); })
      .def("contiguous", &Tensor::contiguous)
      .def("clone", &Tensor::clone)
      // in-place (no-grad) updates
      // each returns self (the same Python object, so a Parameter stays one), as torch
      .def("add_", [](py::object self, const Tensor& o, double alpha) {
         self.cast<Tensor&>().add_(o, alpha);
         return self;
       }, py::arg("other"), py::arg("alpha") = 1.0)
      // a number takes the dtype it would promote to, so 1.5 into an int tensor is refused
      .def("add_", [](py::object self, glia::Scalar s, double alpha) {
         Tensor& x = self.cast<Tensor&>();
         x.add_(glia::scalar_like(s, x), alpha);
         return self;
       }, py::arg("other"), py::arg("alpha") = 1.0)
      .def("sub_", [](py::object self, const Tensor& o, double alpha) {
         Tensor& x = self.cast<Tensor&>();
         if (alpha == 1.0) x.sub_(o); else x.add_(o, -alpha);
         return self;
       }, py::arg("other"), py::arg("alpha") = 1.0)
      .def("sub_", [](py::object self, glia::Scalar s, double alpha) {
         Tensor& x = self.cast<Tensor&>();
         if (alpha == 1.0) x.sub_(glia::scalar_like(s, x)); else x.add_(glia::scalar_like(s, x), -alpha);
         return self;
       }, py::arg("other"), py::arg("alpha") = 1.0)
      .def("mul_", [](py::object self, const Tensor& o) { self.cast<Tensor&>().mul_(o); return self; })
      .def("mul_", [](py::object self, glia::Scalar s) {
         Tensor& x = self.cast<Tensor&>();
         x.mul_(glia::scalar_like(s, x));
         return self;
       })
      .def("div_", [](py::object self, const Tensor& o) { self.cast<Tensor&>().div_(o); return self; })
      .def("div_", [](py::object self, glia::Scalar s) {
         Tensor& x = self.cast<Tensor&>();
         x.div_(glia::scalar_like(s, x));
         return self;
       })
      .def("zero_", [](py::object self) { self.cast<Tensor&>().zero_(); return self; })
      .def("fill_", [](py::object self, glia::Scalar v) { self.cast<Tensor&>().fill_(v.value); return self; })
      .def("copy_", [](py::object self, const Tensor& src) { self.cast<Tensor&>().copy_(src); return self; })
      .def("_index_put_", [](Tensor& x, const std::vector<std::optional<Tensor>>& idx, const Tensor& v) {
        glia::index_put_(x, or_undefined(idx), v);
      });

  m.def("from_numpy", &from_numpy, py::arg("array"),
        "A tensor sharing memory with a NumPy array (bool, int64, float32, float64; other "
        "dtypes are converted).");
  m.def("from_dlpack", &from_dlpack, py::arg("obj"),
        "A tensor sharing memory with any object that implements __dlpack__ (zero copy).");
}
