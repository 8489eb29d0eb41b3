// Tensor operations: free functions in glia._C and the matching Tensor methods.
#include <algorithm>
#include <optional>

#include "bindings.h"

using glia::DType;
using glia::Scalar;
using glia::Shape;
using glia::Tensor;

namespace {

// None -> all dims, int -> one dim, sequence -> those dims.
Shape dims_from(py::handle h) {
  if (h.is_none()) return {};
  return shape_from(h);
}

using Unary = Tensor (*)(const Tensor&);
using Binary = Tensor (*)(const Tensor&, const Tensor&);

Tensor lhs_scalar(Scalar s, const Tensor& t) { return glia::scalar_like(s, t); }

// In-place operator (x += y): in place where allowed; for a non-leaf in a graph, the
// out-of-place result (Python rebinds the name), as autograd needs the old value.
template <class InPlace, class OutOfPlace>
Tensor augmented(Tensor& x, const Tensor& y, InPlace inplace, OutOfPlace outplace) {
  if (glia::grad_enabled() && (x.requires_grad() || y.requires_grad())) {
    if (x.requires_grad() && x.is_leaf())
      throw glia::Error("in-place operation on a leaf tensor that requires grad; use no_grad()");
    // x = x op y, not written in place (so an op that saved x stays valid). A view is read
    // from a copy: `base[i] *= y` then writes the result back into base's memory, which the
    // product's backward would otherwise find changed.
    if (!x.impl()->view_base.expired()) return outplace(glia::clone(x), y);
    return outplace(x, y);
  }
  inplace(x, y);
  return x;
}

// Registers f as glia.<name>(input, ...) and as the method Tensor.<name>(...).
template <class F, class... Extra>
void def_both(py::module_& m, py::class_<Tensor>& t, const char* name, F f, const Extra&... extra) {
  m.def(name, f, py::arg("input"), extra...);
  t.def(name, f, extra...);
}

}  // namespace

void init_ops(py::module_& m) {
  py::class_<Tensor> t = py::reinterpret_borrow<py::class_<Tensor>>(m.attr("Tensor"));
  // ---- elementwise: functions with Tensor/number on either side ----
  auto bin = [&](const char* name, Binary f) {
    def_both(m, t, name, f, py::arg("other"));
    def_both(m, t, name, [f](const Tensor& a, Scalar b) { return f(a, glia::scalar_like(b, a)); },
             py::arg("other"));
    m.def(name, [f](Scalar a, const Tensor& b) { return f(lhs_scalar(a, b), b); }, py::arg("input"),
          py::arg("other"));
  };
  bin("add", static_cast<Binary>(glia::add));
  bin("sub", static_cast<Binary>(glia::sub));
  bin("mul", static_cast<Binary>(glia::mul));
  bin("div", static_cast<Binary>(glia::div));
  bin("pow", static_cast<Binary>(glia::pow));
  bin("minimum", glia::minimum);
  bin("maximum", glia::maximum);
  bin("atan2", glia::atan2);
  bin("hypot", glia::hypot);
  bin("floor_divide", glia::floor_divide);
  bin("remainder", glia::remainder);
  bin("fmod", glia::fmod);
  bin("copysign", glia::copysign);
  bin("fmax", glia::fmax);
  bin("fmin", glia::fmin);
  bin("nextafter", glia::nextafter);
  bin("gcd", glia::gcd);
  bin("lcm", glia::lcm);
  bin("bitwise_left_shift", glia::bitwise_left_shift);
  bin("bitwise_right_shift", glia::bitwise_right_shift);
  bin("bitwise_and", glia::bitwise_and);
  bin("bitwise_or", glia::bitwise_or);
  bin("bitwise_xor", glia::bitwise_xor);
  bin("eq", glia::eq);
  bin("ne", glia::ne);
  bin("lt", glia::lt);
  bin("le", glia::le);
  bin("gt", glia::gt);
  bin("ge", glia::ge);
  bin("logical_and", glia::logical_and);
  bin("logical_or", glia::logical_or);
  bin("logical_xor", glia::logical_xor);

  const std::pair<const char*, Unary> unaries[] = {
      {"neg", glia::neg},         {"exp", glia::exp},         {"expm1", glia::expm1},
      {"log", glia::log},         {"log1p", glia::log1p},     {"sqrt", glia::sqrt},
      {"rsqrt", glia::rsqrt},     {"abs", glia::abs},         {"sign", glia::sign},
      {"sin", glia::sin},         {"cos", glia::cos},         {"tanh", glia::tanh},
      {"sigmoid", glia::sigmoid}, {"relu", glia::relu},       {"square", glia::square},
      {"reciprocal", glia::reciprocal}, {"floor", glia::floor}, {"ceil", glia::ceil},
      {"round", glia::round},     {"trunc", glia::trunc},     {"log2", glia::log2},
      {"log10", glia::log10},     {"exp2", glia::exp2},       {"erf", glia::erf},
      {"erfc", glia::erfc},       {"tan", glia::tan},         {"asin", glia::asin},
      {"acos", glia::acos},       {"atan", glia::atan},       {"sinh", glia::sinh},
      {"cosh", glia::cosh},       {"asinh", glia::asinh},     {"acosh", glia::acosh},
      {"atanh", glia::atanh},     {"bitwise_not", glia::bitwise_not},
      {"signbit", glia::signbit},  {"lgamma", glia::lgamma},   {"digamma", glia::digamma}, {"erfinv", glia::erfinv},
      {"logical_not", glia::logical_not}, {"isnan", glia::isnan},
      {"isinf", glia::isinf},     {"isfinite", glia::isfinite},
      {"contiguous", glia::contiguous}, {"clone", glia::clone}, {"detach", glia::detach},
  };
  for (auto& [name, f] : unaries) def_both(m, t, name, f);
  // F.gelu's kernel; F.gelu checks `approximate`
  m.def("_gelu", &glia::gelu, py::arg("input"), py::arg("tanh_form"));

  def_both(m, t, "clamp", [](const Tensor& a, std::optional<double> lo, std::optional<double> hi) {
    return glia::clamp(a, lo, hi);
  }, py::arg("min") = py::none(), py::arg("max") = py::none());
  m.def("where", [](const Tensor& c, const Tensor& a, const Tensor& b) { return glia::where(c, a, b); });
  m.def("where", [](const Tensor& c, const Tensor& a, Scalar b) {
    return glia::where(c, a, glia::scalar_like(b, a));
  });
  m.def("where", [](const Tensor& c, Scalar a, const Tensor& b) {
    return glia::where(c, glia::scalar_like(a, b), b);
  });
  m.def("where", [](const Tensor& c, Scalar a, Scalar b) {
    DType d = glia::promote_with_scalar(glia::promote_with_scalar(DType::Bool, a), b);
    return glia::where(c, glia::scalar_tensor(a, d), glia::scalar_tensor(b, d));
  });

  // ---- reductions ----
  def_both(m, t, "sum", [](const Tensor& a, py::object dim, bool keepdim) {
    return glia::sum(a, dims_from(dim), keepdim);
  }, py::arg("dim") = py::none(), py::arg("keepdim") = false);
  def_both(m, t, "mean", [](const Tensor& a, py::object dim, bool keepdim) {
    return glia::mean(a, dims_from(dim), keepdim);
  }, py::arg("dim") = py::none(), py::arg("keepdim") = false);
  def_both(m, t, "prod", [](const Tensor& a, py::object dim, bool keepdim) {
    return glia::prod(a, dims_from(dim), keepdim);
  }, py::arg("dim") = py::none(), py::arg("keepdim") = false);
  def_both(m, t, "amax", [](const Tensor& a, py::object dim, bool keepdim) {
    return glia::amax(a, dims_from(dim), keepdim);
  }, py::arg("dim") = py::none(), py::arg("keepdim") = false);
  def_both(m, t, "amin", [](const Tensor& a, py::object dim, bool keepdim) {
    return glia::amin(a, dims_from(dim), keepdim);
  }, py::arg("dim") = py::none(), py::arg("keepdim") = false);
  m.def("max_dim", [](const Tensor& a, int64_t dim, bool keepdim) { return glia::max(a, dim, keepdim); },
        py::arg("input"), py::arg("dim"), py::arg("keepdim") = false);
  m.def("min_dim", [](const Tensor& a, int64_t dim, bool keepdim) { return glia::min(a, dim, keepdim); },
        py::arg("input"), py::arg("dim"), py::arg("keepdim") = false);
  def_both(m, t, "argmax", [](const Tensor& a, std::optional<int64_t> dim, bool keepdim) {
    return glia::argmax(a, dim, keepdim);
  }, py::arg("dim") = py::none(), py::arg("keepdim") = false);
  def_both(m, t, "argmin", [](const Tensor& a, std::optional<int64_t> dim, bool keepdim) {
    return glia::argmin(a, dim, keepdim);
  }, py::arg("dim") = py::none(), py::arg("keepdim") = false);
  def_both(m, t, "var", [](const Tensor& a, py::object dim, bool unbiased, bool keepdim) {
    return glia::var(a, dims_from(dim), unbiased, keepdim);
  }, py::arg("dim") = py::none(), py::arg("unbiased") = true, py::arg("keepdim") = false);
  def_both(m, t, "std", [](const Tensor& a, py::object dim, bool unbiased, bool keepdim) {
    return glia::std(a, dims_from(dim), unbiased, keepdim);
  }, py::arg("dim") = py::none(), py::arg("unbiased") = true, py::arg("keepdim") = false);
  def_both(m, t, "logsumexp", [](const Tensor& a, py::object dim, bool keepdim) {
    return glia::logsumexp(a, dims_from(dim), keepdim);
  }, py::arg("dim"), py::arg("keepdim") = false);
  def_both(m, t, "norm", [](const Tensor& a, double p, py::object dim, bool keepdim) {
    return glia::norm(a, p, dims_from(dim), keepdim);
  }, py::arg("p") = 2.0, py::arg("dim") = py::none(), py::arg("keepdim") = false);
  def_both(m, t, "softmax", &glia::softmax, py::arg("dim"));
  def_both(m, t, "log_softmax", &glia::log_softmax, py::arg("dim"));
  def_both(m, t, "all", [](const Tensor& a, py::object dim, bool keepdim) {
    return glia::all(a, dims_from(dim), keepdim);
  }, py::arg("dim") = py::none(), py::arg("keepdim") = false);
  def_both(m, t, "any", [](const Tensor& a, py::object dim, bool keepdim) {
    return glia::any(a, dims_from(dim), keepdim);
  }, py::arg("dim") = py::none(), py::arg("keepdim") = false);
  def_both(m, t, "cumsum", &glia::cumsum, py::arg("dim"));
  def_both(m, t, "cumprod", &glia::cumprod, py::arg("dim"));
  m.def("_diagonal", &glia::diagonal, py::arg("input"), py::arg("offset"), py::arg("dim1"),
        py::arg("dim2"));
  m.def("polygamma", &glia::polygamma, py::arg("n"), py::arg("input"));
  t.def("polygamma", [](const Tensor& a, int64_t n) { return glia::polygamma(n, a); }, py::arg("n"));
  def_both(m, t, "mvlgamma", &glia::mvlgamma, py::arg("p"));
  def_both(m, t, "logcumsumexp", &glia::logcumsumexp, py::arg("dim"));
  m.def("_cummax", &glia::cummax, py::arg("input"), py::arg("dim"));
  m.def("_cummin", &glia::cummin, py::arg("input"), py::arg("dim"));
  def_both(m, t, "sum_to", &glia::sum_to, py::arg("shape"));

  // ---- linear algebra ----
  def_both(m, t, "matmul", &glia::matmul, py::arg("other"));
  def_both(m, t, "mm", &glia::mm, py::arg("mat2"));
  def_both(m, t, "bmm", &glia::bmm, py::arg("mat2"));
  def_both(m, t, "outer", &glia::outer, py::arg("vec2"));
  def_both(m, t, "dot", &glia::dot, py::arg("other"));
  m.def("set_num_threads", &glia::set_num_threads, py::arg("n"));
  m.def("get_num_threads", &glia::get_num_threads);
  m.def("_load_blas", &glia::load_blas, py::arg("path"));
  m.def("_blas_name", &glia::blas_name);

  // ---- shape and views ----
  m.def("reshape", [](const Tensor& a, const Shape& s) { return glia::reshape(a, s); });
  m.def("view", [](const Tensor& a, const Shape& s) { return glia::view(a, s); });
  def_both(m, t, "flatten", &glia::flatten, py::arg("start_dim") = 0, py::arg("end_dim") = -1);
  m.def("squeeze", [](const Tensor& a, py::object dim) {
    if (dim.is_none()) return glia::squeeze(a);
    Tensor r = a;
    Shape ds = shape_from(dim);
    // squeeze several dims from the last, so earlier indices stay valid
    std::vector<int64_t> wrapped;
    for (int64_t d : ds) {
      int64_t n = std::max<int64_t>(a.dim(), 1);
      if (d < -n || d >= n)
        throw glia::IndexError("squeeze: dim " + std::to_string(d) + " is out of range for a " +
                               std::to_string(a.dim()) + "-d tensor");
      wrapped.push_back(d < 0 ? d + n : d);
    }
    std::sort(wrapped.rbegin(), wrapped.rend());
    for (int64_t d : wrapped) r = glia::squeeze(r, d);
    return r;
  }, py::arg("input"), py::arg("dim") = py::none());
  def_both(m, t, "unsqueeze", &glia::unsqueeze, py::arg("dim"));
  def_both(m, t, "transpose", &glia::transpose, py::arg("dim0"), py::arg("dim1"));
  m.def("permute", &glia::permute, py::arg("input"), py::arg("dims"));
  def_both(m, t, "movedim", static_cast<Tensor (*)(const Tensor&, int64_t, int64_t)>(&glia::movedim),
           py::arg("source"), py::arg("destination"));
  def_both(m, t, "movedim",
           static_cast<Tensor (*)(const Tensor&, const Shape&, const Shape&)>(&glia::movedim),
           py::arg("source"), py::arg("destination"));
  m.def("expand", &glia::expand, py::arg("input"), py::arg("size"));
  m.def("broadcast_to", &glia::broadcast_to, py::arg("input"), py::arg("size"));
  m.def("broadcast_shapes", [](const Shape& a, const Shape& b) { return glia::broadcast_shapes(a, b); });
  m.def("slice", &glia::slice, py::arg("input"), py::arg("dim"), py::arg("start"), py::arg("stop"),
        py::arg("step") = 1);
  def_both(m, t, "select", &glia::select, py::arg("dim"), py::arg("index"));
  def_both(m, t, "narrow", &glia::narrow, py::arg("dim"), py::arg("start"), py::arg("length"));
  m.def("flip", [](const Tensor& a, py::handle dims) { return glia::flip(a, shape_from(dims)); },
        py::arg("input"), py::arg("dims"));
  // x.flip(0, 1) as well as x.flip((0, 1)), as torch
  t.def("flip", [](const Tensor& a, py::args dims) { return glia::flip(a, shape_from_args(dims)); });
  m.def("sort", [](const Tensor& a, int64_t dim, bool descending) { return glia::sort(a, dim, descending); },
        py::arg("input"), py::arg("dim") = -1, py::arg("descending") = false);
  m.def("argsort", &glia::argsort, py::arg("input"), py::arg("dim") = -1,
        py::arg("descending") = false);
  m.def("topk", [](const Tensor& a, int64_t k, int64_t dim, bool largest) {
    return glia::topk(a, k, dim, largest);
  }, py::arg("input"), py::arg("k"), py::arg("dim") = -1, py::arg("largest") = true);
  m.def("einsum", [](const std::string& equation, py::args operands) {
    std::vector<Tensor> ts;
    // einsum("ij,jk", a, b) or einsum("ij,jk", [a, b]), as torch
    if (operands.size() == 1 && !py::isinstance<Tensor>(operands[0]))
      for (auto item : operands[0]) ts.push_back(item.cast<Tensor>());
    else
      for (auto item : operands) ts.push_back(item.cast<Tensor>());
    return glia::einsum(equation, ts);
  }, py::arg("equation"));
  def_both(m, t, "tril", &glia::tril, py::arg("diagonal") = 0);
  def_both(m, t, "triu", &glia::triu, py::arg("diagonal") = 0);
  def_both(m, t, "to_dtype", &glia::to_dtype, py::arg("dtype"));
  m.def("cat", &glia::cat, py::arg("tensors"), py::arg("dim") = 0);
  m.def("stack", &glia::stack, py::arg("tensors"), py::arg("dim") = 0);
  m.def("split", [](const Tensor& a, py::object size, int64_t dim) {
    if (py::isinstance<py::int_>(size)) return glia::split(a, size.cast<int64_t>(), dim);
    return glia::split(a, shape_from(size), dim);
  }, py::arg("tensor"), py::arg("split_size_or_sections"), py::arg("dim") = 0);
  m.def("chunk", &glia::chunk, py::arg("input"), py::arg("chunks"), py::arg("dim") = 0);

  // ---- indexing ----
  def_both(m, t, "index_select", &glia::index_select, py::arg("dim"), py::arg("index"));
  def_both(m, t, "gather", &glia::gather, py::arg("dim"), py::arg("index"));
  def_both(m, t, "scatter_add", &glia::scatter_add, py::arg("dim"), py::arg("index"), py::arg("src"));
  def_both(m, t, "_scatter",
           static_cast<Tensor (*)(const Tensor&, int64_t, const Tensor&, const Tensor&)>(&glia::scatter),
           py::arg("dim"), py::arg("index"), py::arg("src"));
  def_both(m, t, "_scatter",
           static_cast<Tensor (*)(const Tensor&, int64_t, const Tensor&, Scalar)>(&glia::scatter),
           py::arg("dim"), py::arg("index"), py::arg("value"));
  def_both(m, t, "scatter_reduce", &glia::scatter_reduce, py::arg("dim"), py::arg("index"),
           py::arg("src"), py::arg("reduce"), py::kw_only(), py::arg("include_self") = true);
  def_both(m, t, "index_add", &glia::index_add, py::arg("dim"), py::arg("index"), py::arg("source"));
  def_both(m, t, "nonzero", &glia::nonzero);
  def_both(m, t, "masked_fill", &glia::masked_fill, py::arg("mask"), py::arg("value"));
  m.def("_index", [](const Tensor& a, const std::vector<std::optional<Tensor>>& idx) {
    return glia::index(a, or_undefined(idx));
  });

  // ---- creation and random ----
  m.def("zeros", &glia::zeros, py::arg("size"), py::arg("dtype") = DType::Float32);
  m.def("ones", &glia::ones, py::arg("size"), py::arg("dtype") = DType::Float32);
  m.def("empty", &glia::empty, py::arg("size"), py::arg("dtype") = DType::Float32);
  m.def("full", &glia::full, py::arg("size"), py::arg("fill_value"), py::arg("dtype") = py::none());
  m.def("scalar_tensor", &glia::scalar_tensor, py::arg("value"), py::arg("dtype"));
  m.def("arange", &glia::arange, py::arg("start"), py::arg("end"), py::arg("step"), py::arg("dtype") = py::none());
  m.def("linspace", &glia::linspace, py::arg("start"), py::arg("end"), py::arg("steps"),
        py::arg("dtype") = DType::Float32);
  m.def("eye", &glia::eye, py::arg("n"), py::arg("m") = -1, py::arg("dtype") = DType::Float32);
  m.def("manual_seed", &glia::manual_seed, py::arg("seed"));
  m.def("initial_seed", &glia::initial_seed);
  m.def("rand", &glia::rand, py::arg("size"), py::arg("dtype") = DType::Float32);
  m.def("randn", &glia::randn, py::arg("size"), py::arg("dtype") = DType::Float32);
  m.def("randint", &glia::randint, py::arg("low"), py::arg("high"), py::arg("size"),
        py::arg("dtype") = DType::Int64);
  m.def("normal", &glia::normal, py::arg("mean"), py::arg("std"), py::arg("size"),
        py::arg("dtype") = DType::Float32);
  m.def("bernoulli", &glia::bernoulli, py::arg("input"));
  m.def("randperm", &glia::randperm, py::arg("n"));
  m.def("cuda_is_available", &glia::cuda_is_available);
  m.def("empty_cache", &glia::empty_cache);
  m.def("cached_bytes", &glia::cached_bytes);

  // ---- Tensor operators (here rather than in Python: one crossing per op) ----
  auto op = [&](const char* name, Binary f) {
    t.def(name, f);
    t.def(name, [f](const Tensor& a, Scalar b) { return f(a, glia::scalar_like(b, a)); });
  };
  auto rop = [&](const char* name, Binary f) {
    t.def(name, [f](const Tensor& a, Scalar b) { return f(glia::scalar_like(b, a), a); });
  };
  op("__add__", static_cast<Binary>(glia::add));
  rop("__radd__", static_cast<Binary>(glia::add));
  op("__sub__", static_cast<Binary>(glia::sub));
  rop("__rsub__", static_cast<Binary>(glia::sub));
  op("__mul__", static_cast<Binary>(glia::mul));
  rop("__rmul__", static_cast<Binary>(glia::mul));
  op("__truediv__", static_cast<Binary>(glia::div));
  rop("__rtruediv__", static_cast<Binary>(glia::div));
  t.def("__pow__", [](const Tensor& a, const Tensor& b) { return glia::pow(a, b); });
  t.def("__pow__", [](const Tensor& a, Scalar b) { return glia::pow(a, b); });
  rop("__rpow__", static_cast<Binary>(glia::pow));
  op("__eq__", glia::eq);
  op("__ne__", glia::ne);
  op("__lt__", glia::lt);
  op("__le__", glia::le);
  op("__gt__", glia::gt);
  op("__ge__", glia::ge);
  op("__floordiv__", glia::floor_divide);
  rop("__rfloordiv__", glia::floor_divide);
  op("__mod__", glia::remainder);
  rop("__rmod__", glia::remainder);
  // as PyTorch: bitwise on integers, and on bools the same as the logical ops
  op("__and__", glia::bitwise_and);
  rop("__rand__", glia::bitwise_and);
  op("__or__", glia::bitwise_or);
  rop("__ror__", glia::bitwise_or);
  op("__xor__", glia::bitwise_xor);
  rop("__rxor__", glia::bitwise_xor);
  op("__lshift__", glia::bitwise_left_shift);
  rop("__rlshift__", glia::bitwise_left_shift);
  op("__rshift__", glia::bitwise_right_shift);
  rop("__rrshift__", glia::bitwise_right_shift);
  t.def("__matmul__", &glia::matmul);
  t.def("__neg__", static_cast<Unary>(glia::neg));
  t.def("__abs__", static_cast<Unary>(glia::abs));
  t.def("__invert__", static_cast<Unary>(glia::bitwise_not));
  t.def("__hash__", [](const Tensor& a) { return reinterpret_cast<intptr_t>(a.impl()); });
  using InPlace = void (*)(Tensor&, const Tensor&);
  auto iop = [&](const char* name, Binary outplace, InPlace inplace) {
    auto run = [outplace, inplace](Tensor& a, const Tensor& b) { return augmented(a, b, inplace, outplace); };
    t.def(name, run);
    t.def(name, [run](Tensor& a, Scalar b) { return run(a, glia::scalar_like(b, a)); });
  };
  iop("__iadd__", static_cast<Binary>(glia::add), [](Tensor& x, const Tensor& y) { x.add_(y); });
  iop("__isub__", static_cast<Binary>(glia::sub), [](Tensor& x, const Tensor& y) { x.sub_(y); });
  iop("__imul__", static_cast<Binary>(glia::mul), [](Tensor& x, const Tensor& y) { x.mul_(y); });
  iop("__itruediv__", static_cast<Binary>(glia::div), [](Tensor& x, const Tensor& y) { x.div_(y); });
}
