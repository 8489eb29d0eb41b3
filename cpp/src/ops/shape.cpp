// Views (reshape, transpose, slicing, expand: no copy, shared storage), copies, dtype
// conversion and joining (cat, stack, split).
#include <algorithm>
#include <numeric>
#include <optional>

#include "check.h"
#include "cpu/elementwise.h"
#include "glia/autograd.h"
#include "glia/ops.h"

namespace glia {

namespace {

Tensor make_view(const Tensor& a, Shape shape, Shape strides, int64_t offset) {
  Tensor v = Tensor::make(a.storage(), std::move(shape), std::move(strides), offset, a.dtype());
  std::shared_ptr<TensorImpl> base = a.impl()->view_base.lock();
  if (!base) base = a.impl_ptr();
  v.impl()->view_base = base;
  v.impl()->base_history_seen = base->history_version;
  return v;
}

// Strides that let `a`'s memory be seen with `shape`, if any (PyTorch's computeStride).
std::optional<Shape> view_strides(const Tensor& a, const Shape& shape) {
  if (a.numel() == 0 || a.dim() == 0) return contiguous_strides(shape);
  const Shape& os = a.shape();
  const Shape& ost = a.strides();
  Shape st(shape.size());
  int64_t view_d = static_cast<int64_t>(shape.size()) - 1;
  int64_t chunk_base = ost.back(), tensor_numel = 1, view_numel = 1;
  for (int64_t td = a.dim() - 1; td >= 0; --td) {
    tensor_numel *= os[td];
    if (td == 0 || (os[td - 1] != 1 && ost[td - 1] != tensor_numel * chunk_base)) {
      while (view_d >= 0 && (view_numel < tensor_numel || shape[view_d] == 1)) {
        st[view_d] = view_numel * chunk_base;
        view_numel *= shape[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return std::nullopt;
      if (td > 0) {
        chunk_base = ost[td - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  if (view_d != -1) return std::nullopt;
  return st;
}

// Resolves one -1 and checks the element count.
Shape infer_shape(const Tensor& a, Shape shape, const char* op) {
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      GLIA_CHECK(infer < 0, ShapeError, op, ": only one dimension can be -1, got shape ", shape);
      infer = static_cast<int64_t>(i);
    } else {
      GLIA_CHECK(shape[i] >= 0, ShapeError, op, ": invalid size ", shape[i], " in shape ", shape);
      known *= shape[i];
    }
  }
  if (infer >= 0) {
    GLIA_CHECK(known != 0 && a.numel() % known == 0, ShapeError, op, ": shape ", shape,
               " is invalid for input of size ", a.numel());
    shape[infer] = a.numel() / known;
  }
  GLIA_CHECK(shape_numel(shape) == a.numel(), ShapeError, op, ": shape ", shape,
             " is invalid for input of size ", a.numel(), " (input shape ", a.shape(), ")");
  return shape;
}

void attach_reshape_grad(Tensor& out, const Tensor& a, const char* name) {
  if (any_requires_grad({&a})) {
    Shape in_shape = a.shape();
    attach_grad_fn(out, name, {a}, [in_shape](const Tensor& g, const NeedsGrad&) {
      return Grads{reshape(g, in_shape)};
    });
  }
}

}  // namespace

Tensor view(const Tensor& a, const Shape& shape_in) {
  Shape shape = infer_shape(a, shape_in, "view");
  auto st = view_strides(a, shape);
  GLIA_CHECK(st.has_value(), ShapeError, "view: shape ", shape,
             " is not compatible with the input's shape ", a.shape(), " and strides ",
             a.strides(), "; use reshape() instead");
  Tensor out = make_view(a, shape, *st, a.offset());
  attach_reshape_grad(out, a, "ViewBackward");
  return out;
}

Tensor reshape(const Tensor& a, const Shape& shape_in) {
  Shape shape = infer_shape(a, shape_in, "reshape");
  if (shape == a.shape()) return view(a, shape);
  auto st = view_strides(a, shape);
  if (st) return view(a, shape);
  return view(contiguous(a), shape);
}

Tensor flatten(const Tensor& a, int64_t start_dim, int64_t end_dim) {
  if (a.dim() == 0) return reshape(a, {1});
  int64_t s = wrap_dim(start_dim, a.dim(), "flatten"), e = wrap_dim(end_dim, a.dim(), "flatten");
  GLIA_CHECK(s <= e, IndexError, "flatten: start_dim ", start_dim, " comes after end_dim ", end_dim);
  Shape shape(a.shape().begin(), a.shape().begin() + s);
  int64_t n = 1;
  for (int64_t d = s; d <= e; ++d) n *= a.shape()[d];
  shape.push_back(n);
  shape.insert(shape.end(), a.shape().begin() + e + 1, a.shape().end());
  return reshape(a, shape);
}

Tensor squeeze(const Tensor& a) {
  Shape shape;
  for (int64_t s : a.shape())
    if (s != 1) shape.push_back(s);
  return reshape(a, shape);
}

Tensor squeeze(const Tensor& a, int64_t dim) {
  int64_t d = wrap_dim(dim, a.dim(), "squeeze");
  if (a.dim() == 0 || a.shape()[d] != 1) return a;
  Shape shape = a.shape();
  shape.erase(shape.begin() + d);
  return reshape(a, shape);
}

Tensor unsqueeze(const Tensor& a, int64_t dim) {
  int64_t d = wrap_dim(dim, a.dim() + 1, "unsqueeze");
  Shape shape = a.shape(), st = a.strides();
  int64_t inner = d < a.dim() ? a.strides()[d] * a.shape()[d] : 1;
  shape.insert(shape.begin() + d, 1);
  st.insert(st.begin() + d, inner);
  Tensor out = make_view(a, shape, st, a.offset());
  attach_reshape_grad(out, a, "UnsqueezeBackward");
  return out;
}

Tensor permute(const Tensor& a, const Shape& dims) {
  GLIA_CHECK(static_cast<int64_t>(dims.size()) == a.dim(), ShapeError, "permute: got ",
             dims.size(), " dims for a tensor of shape ", a.shape());
  Shape shape(a.dim()), st(a.dim()), inverse(a.dim());
  std::vector<bool> used(a.dim(), false);
  for (int64_t i = 0; i < a.dim(); ++i) {
    int64_t d = wrap_dim(dims[i], a.dim(), "permute");
    GLIA_CHECK(!used[d], IndexError, "permute: dim ", d, " repeats in ", dims);
    used[d] = true;
    shape[i] = a.shape()[d];
    st[i] = a.strides()[d];
    inverse[d] = i;
  }
  Tensor out = make_view(a, shape, st, a.offset());
  if (any_requires_grad({&a})) {
    attach_grad_fn(out, "PermuteBackward", {a}, [inverse](const Tensor& g, const NeedsGrad&) {
      return Grads{permute(g, inverse)};
    });
  }
  return out;
}

Tensor transpose(const Tensor& a, int64_t d0, int64_t d1) {
  if (a.dim() == 0) return a;
  Shape dims(a.dim());
  std::iota(dims.begin(), dims.end(), 0);
  std::swap(dims[wrap_dim(d0, a.dim(), "transpose")], dims[wrap_dim(d1, a.dim(), "transpose")]);
  return permute(a, dims);
}

Tensor movedim(const Tensor& a, int64_t src, int64_t dst) {
  int64_t s = wrap_dim(src, a.dim(), "movedim"), t = wrap_dim(dst, a.dim(), "movedim");
  if (a.dim() == 0) return permute(a, {});  // dim 0 (or -1) of a 0-d tensor: itself
  Shape order;
  for (int64_t d = 0; d < a.dim(); ++d)
    if (d != s) order.push_back(d);
  order.insert(order.begin() + t, s);
  return permute(a, order);
}

Tensor movedim(const Tensor& a, const Shape& src, const Shape& dst) {
  GLIA_CHECK(src.size() == dst.size(), ShapeError, "movedim: source ", src, " and destination ",
             dst, " must have the same number of dims");
  if (a.dim() == 0) {  // dims 0 or -1 of a 0-d tensor, each at most once
    for (int64_t d : src) wrap_dim(d, 0, "movedim");
    for (int64_t d : dst) wrap_dim(d, 0, "movedim");
    GLIA_CHECK(src.size() <= 1, ShapeError, "movedim: repeated dim in source ", src);
    return permute(a, {});
  }
  const int64_t n = a.dim();
  std::vector<int64_t> order(n, -1);
  std::vector<bool> moved(n, false);
  for (size_t i = 0; i < src.size(); ++i) {
    int64_t s = wrap_dim(src[i], n, "movedim"), t = wrap_dim(dst[i], n, "movedim");
    GLIA_CHECK(!moved[s], ShapeError, "movedim: repeated dim in source ", src);
    GLIA_CHECK(order[t] < 0, ShapeError, "movedim: repeated dim in destination ", dst);
    moved[s] = true;
    order[t] = s;
  }
  int64_t next = 0;  // the other dims fill the free places in their order
  for (int64_t k = 0; k < n; ++k) {
    if (order[k] >= 0) continue;
    while (moved[next]) ++next;
    order[k] = next++;
  }
  return permute(a, Shape(order.begin(), order.end()));
}

Tensor expand(const Tensor& a, const Shape& shape_in) {
  GLIA_CHECK(static_cast<int64_t>(shape_in.size()) >= a.dim(), ShapeError, "expand: the target ",
             shape_in, " has fewer dims than the tensor's shape ", a.shape());
  int64_t lead = static_cast<int64_t>(shape_in.size()) - a.dim();
  Shape shape(shape_in.size()), st(shape_in.size(), 0);
  for (int64_t i = 0; i < static_cast<int64_t>(shape_in.size()); ++i) {
    int64_t want = shape_in[i];
    if (i < lead) {
      GLIA_CHECK(want >= 0, ShapeError, "expand: -1 is not allowed in a new leading dim, got ",
                 shape_in);
      shape[i] = want;
      continue;
    }
    int64_t have = a.shape()[i - lead];
    if (want == -1) want = have;
    GLIA_CHECK(have == want || have == 1, ShapeError, "expand: cannot expand shape ", a.shape(),
               " to ", shape_in, " (dim ", i, ": ", have, " vs ", want, ")");
    shape[i] = want;
    st[i] = have == want ? a.strides()[i - lead] : 0;
  }
  Tensor out = make_view(a, shape, st, a.offset());
  if (any_requires_grad({&a})) {
    Shape in_shape = a.shape();
    attach_grad_fn(out, "ExpandBackward", {a}, [in_shape](const Tensor& g, const NeedsGrad&) {
      return Grads{sum_to(g, in_shape)};
    });
  }
  return out;
}

Tensor broadcast_to(const Tensor& a, const Shape& shape) { return expand(a, shape); }

// ---- slicing ----

namespace {

// zeros of `shape` with g written into the slice (the adjoint of slicing).
Tensor slice_backward(const Tensor& g, const Shape& shape, int64_t dim, int64_t start,
                      int64_t stop, int64_t step) {
  Tensor z = zeros(shape, g.dtype());
  {
    NoGradGuard ng;
    Tensor dst = slice(z, dim, start, stop, step);
    dst.copy_(g);
  }
  if (any_requires_grad({&g})) {
    attach_grad_fn(z, "SliceBackwardBackward", {g},
                   [dim, start, stop, step](const Tensor& gg, const NeedsGrad&) {
                     return Grads{slice(gg, dim, start, stop, step)};
                   });
  }
  return z;
}

}  // namespace

Tensor slice(const Tensor& a, int64_t dim, int64_t start, int64_t stop, int64_t step) {
  int64_t d = wrap_dim(dim, a.dim(), "slice");
  GLIA_CHECK(a.dim() > 0, IndexError, "slice: cannot slice a 0-d tensor");
  GLIA_CHECK(step > 0, IndexError, "slice: step must be positive, got ", step);
  int64_t n = a.shape()[d];
  auto clampi = [n](int64_t i) {
    if (i < 0) i += n;
    return std::min(std::max<int64_t>(i, 0), n);
  };
  int64_t s = clampi(start), e = clampi(stop);
  int64_t len = e > s ? (e - s + step - 1) / step : 0;
  Shape shape = a.shape(), st = a.strides();
  shape[d] = len;
  st[d] = a.strides()[d] * step;
  Tensor out = make_view(a, shape, st, a.offset() + (len > 0 ? s * a.strides()[d] : 0));
  if (any_requires_grad({&a})) {
    Shape in_shape = a.shape();
    attach_grad_fn(out, "SliceBackward", {a}, [in_shape, d, s, e, step](const Tensor& g, const NeedsGrad&) {
      return Grads{slice_backward(g, in_shape, d, s, e, step)};
    });
  }
  return out;
}

namespace {

// zeros of `shape` with g written onto the diagonal (the adjoint of taking it).
Tensor diagonal_backward(const Tensor& g, const Shape& shape, int64_t offset, int64_t d1,
                         int64_t d2) {
  Tensor z = zeros(shape, g.dtype());
  {
    NoGradGuard ng;
    Tensor dst = diagonal(z, offset, d1, d2);
    dst.copy_(g);
  }
  if (any_requires_grad({&g})) {
    attach_grad_fn(z, "DiagonalBackwardBackward", {g},
                   [offset, d1, d2](const Tensor& gg, const NeedsGrad&) {
                     return Grads{diagonal(gg, offset, d1, d2)};
                   });
  }
  return z;
}

}  // namespace

Tensor diagonal(const Tensor& a, int64_t offset, int64_t dim1, int64_t dim2) {
  GLIA_CHECK(a.defined() && a.dim() >= 2, ShapeError,
             "diagonal: expects a tensor of at least 2 dims, got shape ",
             a.defined() ? a.shape() : Shape{});
  const int64_t d1 = wrap_dim(dim1, a.dim(), "diagonal"), d2 = wrap_dim(dim2, a.dim(), "diagonal");
  GLIA_CHECK(d1 != d2, ShapeError, "diagonal: dim1 and dim2 must differ, got ", dim1, " and ", dim2);
  // the other dims in order, then the diagonal: one step along both dims at once
  Shape shape, strides;
  for (int64_t k = 0; k < a.dim(); ++k)
    if (k != d1 && k != d2) {
      shape.push_back(a.shape()[k]);
      strides.push_back(a.strides()[k]);
    }
  const int64_t r0 = std::max<int64_t>(-offset, 0), c0 = std::max<int64_t>(offset, 0);
  const int64_t len = std::max<int64_t>(0, std::min(a.shape()[d1] - r0, a.shape()[d2] - c0));
  shape.push_back(len);
  strides.push_back(a.strides()[d1] + a.strides()[d2]);
  const int64_t start = len > 0 ? r0 * a.strides()[d1] + c0 * a.strides()[d2] : 0;
  Tensor out = make_view(a, shape, strides, a.offset() + start);
  if (any_requires_grad({&a})) {
    attach_grad_fn(out, "DiagonalBackward", {a},
                   [in_shape = a.shape(), offset, d1, d2](const Tensor& g, const NeedsGrad&) {
                     return Grads{diagonal_backward(g, in_shape, offset, d1, d2)};
                   });
  }
  return out;
}

Tensor select(const Tensor& a, int64_t dim, int64_t index) {
  GLIA_CHECK(a.dim() > 0, IndexError, "select: cannot index a 0-d tensor");
  int64_t d = wrap_dim(dim, a.dim(), "select");
  int64_t n = a.shape()[d];
  GLIA_CHECK(index >= -n && index < n, IndexError, "select: index ", index,
             " is out of bounds for dim ", d, " with size ", n);
  int64_t i = index < 0 ? index + n : index;
  return squeeze(slice(a, d, i, i + 1, 1), d);
}

Tensor narrow(const Tensor& a, int64_t dim, int64_t start, int64_t length) {
  int64_t d = wrap_dim(dim, a.dim(), "narrow");
  const int64_t size = a.shape()[d];
  GLIA_CHECK(start >= -size && start <= size, IndexError, "narrow: start ", start,
             " is out of range for dim ", d, " of size ", size);
  if (start < 0) start += size;  // counted from the end, as PyTorch
  GLIA_CHECK(length >= 0 && start + length <= size, IndexError, "narrow: start ", start,
             " + length ", length, " exceeds dim ", d, " of size ", size);
  return slice(a, d, start, start + length, 1);
}

// ---- copies ----

Tensor clone(const Tensor& a) {
  GLIA_CHECK(a.defined(), Error, "clone: got an undefined tensor");
  Tensor out = Tensor::empty(a.shape(), a.dtype());
  cpu::copy(a, out);
  if (any_requires_grad({&a})) {
    attach_grad_fn(out, "CloneBackward", {a}, [](const Tensor& g, const NeedsGrad&) {
      return Grads{g};
    });
  }
  return out;
}

Tensor contiguous(const Tensor& a) { return a.is_contiguous() ? a : clone(a); }

Tensor to_dtype(const Tensor& a, DType dtype) {
  GLIA_CHECK(a.defined(), Error, "to: got an undefined tensor");
  if (a.dtype() == dtype) return a;
  Tensor out = Tensor::empty(a.shape(), dtype);
  cpu::copy(a, out);
  if (is_floating(dtype) && is_floating(a.dtype()) && any_requires_grad({&a})) {
    DType in = a.dtype();
    attach_grad_fn(out, "ToDtypeBackward", {a}, [in](const Tensor& g, const NeedsGrad&) {
      return Grads{to_dtype(g, in)};
    });
  }
  return out;
}

Tensor detach(const Tensor& a) {
  return Tensor::make(a.storage(), a.shape(), a.strides(), a.offset(), a.dtype());
}

// ---- joining ----

Tensor cat(const std::vector<Tensor>& tensors, int64_t dim) {
  GLIA_CHECK(!tensors.empty(), ShapeError, "cat: expected a non-empty list of tensors");
  // PyTorch skips 1-d empty tensors in cat (they still take part in type promotion and get
  // an empty gradient); so do we.
  std::vector<Tensor> parts;
  std::vector<bool> skipped;
  DType dtype = tensors[0].defined() ? tensors[0].dtype() : DType::Float32;
  for (const Tensor& t : tensors) {
    GLIA_CHECK(t.defined(), Error, "cat: got an undefined tensor");
    dtype = promote(dtype, t.dtype());
    skipped.push_back(t.dim() == 1 && t.numel() == 0);
    if (!skipped.back()) parts.push_back(t);
  }
  int64_t d = 0;
  Tensor out;
  std::vector<int64_t> sizes(tensors.size(), 0);  // each input's extent along d
  if (parts.empty()) {
    out = Tensor::empty({0}, dtype);
  } else {
    const Tensor& first = parts[0];
    GLIA_CHECK(first.dim() > 0, ShapeError, "cat: zero-dimensional tensors cannot be joined");
    d = wrap_dim(dim, first.dim(), "cat");
    Shape shape = first.shape();
    shape[d] = 0;
    for (size_t i = 0; i < parts.size(); ++i) {
      const Tensor& t = parts[i];
      GLIA_CHECK(t.dim() == first.dim(), ShapeError, "cat: tensor ", i, " has shape ", t.shape(),
                 " but tensor 0 has shape ", first.shape(), " (ranks differ)");
      for (int64_t k = 0; k < t.dim(); ++k)
        GLIA_CHECK(k == d || t.shape()[k] == first.shape()[k], ShapeError, "cat: tensor ", i,
                   " has shape ", t.shape(), " but tensor 0 has shape ", first.shape(),
                   "; sizes must match except in dim ", d);
      shape[d] += t.shape()[d];
    }
    out = Tensor::empty(shape, dtype);
    int64_t at = 0;
    for (size_t i = 0; i < tensors.size(); ++i) {
      if (skipped[i]) continue;
      const Tensor& t = tensors[i];
      sizes[i] = t.shape()[d];
      Tensor dst = Tensor::make(out.storage(), t.shape(), out.strides(),
                                at * out.strides()[d], dtype);
      cpu::copy(t, dst);
      at += sizes[i];
    }
  }
  if (any_requires_grad(tensors)) {
    std::vector<DType> dtypes;
    for (const Tensor& t : tensors) dtypes.push_back(t.dtype());
    attach_grad_fn(out, "CatBackward", tensors,
                   [sizes, skipped, d, dtypes](const Tensor& g, const NeedsGrad& n) {
      Grads grads(sizes.size());
      int64_t at = 0;
      for (size_t i = 0; i < sizes.size(); ++i) {
        if (n[i]) {
          grads[i] = skipped[i] ? zeros({0}, dtypes[i])
                                : to_dtype(narrow(g, d, at, sizes[i]), dtypes[i]);
        }
        at += sizes[i];
      }
      return grads;
    });
  }
  return out;
}

Tensor stack(const std::vector<Tensor>& tensors, int64_t dim) {
  GLIA_CHECK(!tensors.empty(), ShapeError, "stack: expected a non-empty list of tensors");
  int64_t d = wrap_dim(dim, tensors[0].dim() + 1, "stack");
  std::vector<Tensor> parts;
  for (size_t i = 0; i < tensors.size(); ++i) {
    GLIA_CHECK(tensors[i].shape() == tensors[0].shape(), ShapeError,
               "stack: expects each tensor to be equal size, but got ", tensors[0].shape(),
               " at entry 0 and ", tensors[i].shape(), " at entry ", i);
    parts.push_back(unsqueeze(tensors[i], d));
  }
  return cat(parts, d);
}

std::vector<Tensor> split(const Tensor& a, const Shape& sizes, int64_t dim) {
  int64_t d = wrap_dim(dim, a.dim(), "split");
  int64_t total = 0;
  for (int64_t s : sizes) {
    GLIA_CHECK(s >= 0, ShapeError, "split: negative size in ", sizes);
    total += s;
  }
  GLIA_CHECK(total == a.shape()[d], ShapeError, "split: sizes ", sizes, " sum to ", total,
             " but dim ", d, " has size ", a.shape()[d]);
  std::vector<Tensor> out;
  int64_t at = 0;
  for (int64_t s : sizes) {
    out.push_back(narrow(a, d, at, s));
    at += s;
  }
  return out;
}

std::vector<Tensor> split(const Tensor& a, int64_t split_size, int64_t dim) {
  GLIA_CHECK(split_size > 0, ShapeError, "split: split_size must be positive, got ", split_size);
  int64_t d = wrap_dim(dim, a.dim(), "split");
  Shape sizes;
  for (int64_t at = 0; at < a.shape()[d]; at += split_size)
    sizes.push_back(std::min(split_size, a.shape()[d] - at));
  if (sizes.empty()) sizes.push_back(0);
  return split(a, sizes, d);
}

std::vector<Tensor> chunk(const Tensor& a, int64_t chunks, int64_t dim) {
  GLIA_CHECK(chunks > 0, ShapeError, "chunk: chunks must be positive, got ", chunks);
  int64_t d = wrap_dim(dim, a.dim(), "chunk");
  int64_t n = a.shape()[d];
  if (n == 0) return std::vector<Tensor>(chunks, a);  // as PyTorch: `chunks` empty pieces
  int64_t size = (n + chunks - 1) / chunks;
  return split(a, size, d);
}

}  // namespace glia
