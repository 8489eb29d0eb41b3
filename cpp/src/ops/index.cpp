// Indexing by integer tensors: index_select, gather, scatter_add, advanced indexing.
#include "cpu/index.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "check.h"
#include "cpu/elementwise.h"
#include "glia/autograd.h"
#include "glia/ops.h"

namespace glia {

namespace {

// Checks an int64 index tensor against a dim of size n; wraps negatives if asked.
Tensor checked_index(const Tensor& index, int64_t n, const char* op, bool wrap) {
  GLIA_CHECK(index.defined(), Error, op, ": got an undefined index");
  GLIA_CHECK(index.dtype() == DType::Int64, DTypeError, op, ": index must be int64, got ",
             index.dtype());
  Tensor idx = wrap ? clone(detach(index)) : contiguous(detach(index));
  int64_t* p = idx.data<int64_t>();
  for (int64_t k = 0; k < idx.numel(); ++k) {
    GLIA_CHECK(p[k] >= (wrap ? -n : 0) && p[k] < n, IndexError, op, ": index ", p[k],
               " is out of bounds for size ", n);
    if (p[k] < 0) p[k] += n;
  }
  return idx;
}

void outer_inner(const Shape& shape, int64_t d, int64_t& outer, int64_t& inner) {
  outer = inner = 1;
  for (int64_t k = 0; k < static_cast<int64_t>(shape.size()); ++k) {
    if (k < d) outer *= shape[k];
    if (k > d) inner *= shape[k];
  }
}

}  // namespace

Tensor flip(const Tensor& a, const Shape& dims) {
  GLIA_CHECK(a.defined(), Error, "flip: got an undefined tensor");
  std::vector<bool> seen(size_t(std::max<int64_t>(a.dim(), 1)), false);
  Tensor out = a;
  bool copied = false;
  for (int64_t dim : dims) {
    const int64_t d = wrap_dim(dim, a.dim(), "flip");
    GLIA_CHECK(!seen[size_t(d)], ShapeError, "flip: dim ", d, " appears more than once in ", dims);
    seen[size_t(d)] = true;
    if (a.dim() == 0) continue;
    out = index_select(out, d, arange(a.shape()[d] - 1, -1, -1));
    copied = true;
  }
  return copied ? out : clone(a);  // a copy even with nothing to reverse, as torch
}

Tensor index_select(const Tensor& a, int64_t dim, const Tensor& index) {
  GLIA_CHECK(a.defined(), Error, "index_select: got an undefined tensor");
  GLIA_CHECK(index.dim() <= 1, ShapeError, "index_select: index must be 0-d or 1-d, got shape ",
             index.shape());
  Tensor src = a.dim() == 0 ? reshape(detach(a), {1}) : contiguous(detach(a));
  int64_t d = wrap_dim(dim, a.dim(), "index_select");
  Tensor idx = checked_index(index, src.shape()[d], "index_select", false);
  Shape shape = src.shape();
  shape[d] = idx.numel();
  Tensor out = Tensor::empty(shape, a.dtype());
  int64_t outer, inner;
  outer_inner(src.shape(), d, outer, inner);
  if (out.numel() > 0) cpu::index_select(src, outer, src.shape()[d], inner, idx, out);
  if (a.dim() == 0) out = reshape(out, {});  // a 0-d input stays 0-d, as in PyTorch
  if (any_requires_grad({&a})) {
    Shape in_shape = a.shape();
    attach_grad_fn(out, "IndexSelectBackward", {a}, [in_shape, d, idx](const Tensor& g, const NeedsGrad&) {
      if (in_shape.empty()) return Grads{reshape(sum(g), {})};
      return Grads{index_add(zeros(in_shape, g.dtype()), d, idx, g)};
    });
  }
  return out;
}

Tensor index_add(const Tensor& base, int64_t dim, const Tensor& index, const Tensor& src) {
  int64_t d = wrap_dim(dim, base.dim(), "index_add");
  Tensor idx = checked_index(index, base.shape()[d], "index_add", false);
  Shape want = base.shape();
  want[d] = idx.numel();
  GLIA_CHECK(src.shape() == want, ShapeError, "index_add: source has shape ", src.shape(),
             ", expected ", want);
  Tensor out = clone(detach(base));
  int64_t outer, inner;
  outer_inner(base.shape(), d, outer, inner);
  cpu::index_add(out, outer, base.shape()[d], inner, idx, contiguous(detach(src).to(base.dtype())));
  if (any_requires_grad({&base, &src})) {
    attach_grad_fn(out, "IndexAddBackward", {base, src}, [d, idx](const Tensor& g, const NeedsGrad& n) {
      return Grads{n[0] ? g : Tensor(), n[1] ? index_select(g, d, idx) : Tensor()};
    });
  }
  return out;
}

Tensor gather(const Tensor& a, int64_t dim, const Tensor& index) {
  GLIA_CHECK(a.defined(), Error, "gather: got an undefined tensor");
  if (a.dim() == 0 && index.defined() && index.dim() == 0) {  // as 1-element vectors
    wrap_dim(dim, 0, "gather");
    return reshape(gather(reshape(a, {1}), 0, reshape(index, {1})), {});
  }
  int64_t d = wrap_dim(dim, a.dim(), "gather");
  GLIA_CHECK(index.dim() == a.dim(), ShapeError, "gather: index has shape ", index.shape(),
             " but input has shape ", a.shape(), " (ranks must match)");
  for (int64_t k = 0; k < a.dim(); ++k)
    GLIA_CHECK(k == d || index.shape()[k] <= a.shape()[k], ShapeError, "gather: index shape ",
               index.shape(), " exceeds input shape ", a.shape(), " at dim ", k);
  Tensor src = contiguous(detach(a));
  Tensor idx = checked_index(index, a.dim() ? a.shape()[d] : 1, "gather", false);
  Tensor out = Tensor::empty(idx.shape(), a.dtype());
  if (out.numel() > 0) cpu::gather(src, d, idx, out);
  if (any_requires_grad({&a})) {
    Shape in_shape = a.shape();
    attach_grad_fn(out, "GatherBackward", {a}, [in_shape, d, idx](const Tensor& g, const NeedsGrad&) {
      return Grads{scatter_add(zeros(in_shape, g.dtype()), d, idx, g)};
    });
  }
  return out;
}

namespace {

// Checks base, index and src of a scatter along `dim`; returns the wrapped dim and the
// bounds-checked contiguous index.
std::pair<int64_t, Tensor> check_scatter(const Tensor& base, int64_t dim, const Tensor& index,
                                         const Tensor& src, const char* op) {
  GLIA_CHECK(base.defined() && index.defined() && src.defined(), Error, op,
             ": got an undefined tensor");
  int64_t d = wrap_dim(dim, base.dim(), op);
  GLIA_CHECK(index.dim() == base.dim() && src.dim() == base.dim(), ShapeError, op, ": base ",
             base.shape(), ", index ", index.shape(), " and src ", src.shape(),
             " must have the same rank");
  for (int64_t k = 0; k < base.dim(); ++k)
    GLIA_CHECK(index.shape()[k] <= src.shape()[k] && (k == d || index.shape()[k] <= base.shape()[k]),
               ShapeError, op, ": index shape ", index.shape(), " does not fit base ",
               base.shape(), " and src ", src.shape(), " at dim ", k);
  return {d, checked_index(index, base.dim() ? base.shape()[d] : 1, op, false)};
}

// The gradient of src: g read at the index positions, zero where src reaches past the index.
Tensor gathered_grad(const Tensor& g, int64_t d, const Tensor& idx, const Shape& src_shape) {
  Tensor gs = gather(g, d, idx);
  if (gs.shape() == src_shape) return gs;
  Tensor z = zeros(src_shape, g.dtype());
  Tensor region = z;
  for (size_t k = 0; k < src_shape.size(); ++k) region = narrow(region, k, 0, gs.shape()[k]);
  NoGradGuard ng;
  region.copy_(gs);
  return z;
}

// src cut down to the index's shape (the elements a scatter reads).
Tensor src_region(const Tensor& src, const Tensor& idx) {
  Tensor r = src;
  for (int64_t k = 0; k < src.dim(); ++k) r = narrow(r, k, 0, idx.shape()[k]);
  return r;
}

// The positions of base a scatter writes to.
Tensor scattered_mask(const Shape& shape, int64_t d, const Tensor& idx) {
  Tensor m = zeros(shape, DType::Bool);
  if (idx.numel() > 0) cpu::scatter(m, d, idx, ones(idx.shape(), DType::Bool), cpu::ScatterOp::Assign);
  return m;
}

}  // namespace

Tensor scatter_add(const Tensor& base, int64_t dim, const Tensor& index, const Tensor& src) {
  if (base.defined() && base.dim() == 0 && index.defined() && index.dim() == 0 && src.defined() &&
      src.dim() == 0)  // as 1-element vectors
    return reshape(scatter_add(reshape(base, {1}), wrap_dim(dim, 0, "scatter_add"),
                               reshape(index, {1}), reshape(src, {1})), {});
  auto [d, idx] = check_scatter(base, dim, index, src, "scatter_add");
  Tensor out = clone(detach(base));
  if (idx.numel() > 0) cpu::scatter_add(out, d, idx, contiguous(detach(src).to(base.dtype())));
  if (any_requires_grad({&base, &src})) {
    attach_grad_fn(out, "ScatterAddBackward", {base, src},
                   [d = d, idx = idx, src_shape = src.shape()](const Tensor& g, const NeedsGrad& n) {
                     return Grads{n[0] ? g : Tensor(),
                                  n[1] ? gathered_grad(g, d, idx, src_shape) : Tensor()};
                   },
                   {idx});  // the index is read by the backward: changing it is caught
  }
  return out;
}

Tensor scatter(const Tensor& base, int64_t dim, const Tensor& index, const Tensor& src) {
  if (base.defined() && base.dim() == 0 && index.defined() && index.dim() == 0 && src.defined() &&
      src.dim() == 0)  // as 1-element vectors
    return reshape(scatter(reshape(base, {1}), wrap_dim(dim, 0, "scatter"), reshape(index, {1}),
                           reshape(src, {1})), {});
  auto [d, idx] = check_scatter(base, dim, index, src, "scatter");
  Tensor out = clone(detach(base));
  if (idx.numel() > 0)
    cpu::scatter(out, d, idx, contiguous(detach(src).to(base.dtype())), cpu::ScatterOp::Assign);
  if (any_requires_grad({&base, &src})) {
    // overwritten positions of base get no gradient; src gets g where it was written
    Tensor keep = logical_not(scattered_mask(base.shape(), d, idx));
    attach_grad_fn(out, "ScatterBackward", {base, src},
                   [d = d, idx = idx, keep, src_shape = src.shape()](const Tensor& g,
                                                                     const NeedsGrad& n) {
                     return Grads{n[0] ? mul(g, keep.to(g.dtype())) : Tensor(),
                                  n[1] ? gathered_grad(g, d, idx, src_shape) : Tensor()};
                   },
                   {idx});
  }
  return out;
}

Tensor scatter(const Tensor& base, int64_t dim, const Tensor& index, Scalar value) {
  GLIA_CHECK(base.defined() && index.defined(), Error, "scatter: got an undefined tensor");
  return scatter(base, dim, index, full(index.shape(), value, base.dtype()));
}

Tensor scatter_reduce(const Tensor& base, int64_t dim, const Tensor& index, const Tensor& src,
                      const std::string& reduce, bool include_self) {
  if (base.defined() && base.dim() == 0 && index.defined() && index.dim() == 0 && src.defined() &&
      src.dim() == 0)  // as 1-element vectors
    return reshape(scatter_reduce(reshape(base, {1}), wrap_dim(dim, 0, "scatter_reduce"),
                                  reshape(index, {1}), reshape(src, {1}), reduce, include_self),
                   {});
  using cpu::ScatterOp;
  const bool mean = reduce == "mean";
  ScatterOp op = reduce == "sum" || mean ? ScatterOp::Add
                 : reduce == "prod"      ? ScatterOp::Mul
                 : reduce == "amax"      ? ScatterOp::Max
                 : reduce == "amin"      ? ScatterOp::Min
                                         : ScatterOp::Assign;
  GLIA_CHECK(op != ScatterOp::Assign, Error, "scatter_reduce: reduce must be 'sum', 'prod', "
             "'mean', 'amax' or 'amin', got '", reduce, "'");
  auto [d, idx] = check_scatter(base, dim, index, src, "scatter_reduce");
  const DType t = base.dtype();
  Tensor mask = scattered_mask(base.shape(), d, idx);
  Tensor out = clone(detach(base));
  if (!include_self) {  // written positions start from the reduction's identity
    Tensor identity;
    if (op == ScatterOp::Max || op == ScatterOp::Min) {
      identity = Tensor::empty({}, t);  // -inf/+inf, or the int64 extremes (no double holds them)
      const bool lowest = op == ScatterOp::Max;
      if (is_floating(t))
        identity.fill_(lowest ? -INFINITY : INFINITY);
      else
        identity.data<int64_t>()[0] = lowest ? std::numeric_limits<int64_t>::min()
                                             : std::numeric_limits<int64_t>::max();
    } else {
      identity = full({}, Scalar(op == ScatterOp::Mul ? 1.0 : 0.0), t);
    }
    out = where(mask, identity, out);
  }
  Tensor s = contiguous(detach(src).to(t));
  if (idx.numel() > 0) cpu::scatter(out, d, idx, s, op);
  Tensor count;
  if (mean) {  // how many values each position averages (untouched ones: 1)
    count = scatter_add(full(base.shape(), Scalar(include_self ? 1.0 : 0.0), t), d, idx,
                        ones(idx.shape(), t));
    count = where(eq(count, zeros({}, t)), ones({}, t), count);
    out = is_floating(t) ? div(out, count) : floor_divide(out, count);
  }
  if (!any_requires_grad({&base, &src})) return out;
  GLIA_CHECK(is_floating(t), DTypeError, "scatter_reduce: gradients need floating tensors");
  Tensor o = out.detach(), b = detach(base), sr = src_region(s, idx);
  // a fused backward (it reads detached values): no double backward, said so if asked
  attach_grad_fn(out, "ScatterReduceBackward", {base, src},
                 [=, d = d, idx = idx, src_shape = src.shape()](const Tensor& g,
                                                                const NeedsGrad& n) {
    if (op == ScatterOp::Mul)
      GLIA_CHECK(!any(eq(sr, zeros({}, t))).item<bool>() &&
                     !(include_self && any(logical_and(mask, eq(b, zeros({}, t)))).item<bool>()),
                 Error, "scatter_reduce: the gradient of 'prod' over zeros is not supported");
    Tensor keep = logical_not(mask).to(g.dtype());
    Tensor gb, gs;
    if (op == ScatterOp::Add) {
      Tensor gm = mean ? div(g, count) : g;
      gb = include_self ? gm : mul(g, keep);  // excluded positions of base get nothing
      gs = gathered_grad(gm, d, idx, src_shape);
    } else if (op == ScatterOp::Mul) {
      Tensor gp = mul(g, o);
      gb = include_self ? where(mask, div(gp, b), g) : mul(g, keep);
      gs = div(gathered_grad(gp, d, idx, src_shape), s);
    } else {  // amax/amin: shared evenly by every value equal to the result
      Tensor self_hit = include_self ? eq(b, o) : logical_not(mask);
      Tensor src_hit = eq(sr, gather(o, d, idx)).to(g.dtype());
      Tensor hits = scatter_add(self_hit.to(g.dtype()), d, idx, src_hit);
      Tensor share = div(g, where(eq(hits, zeros({}, g.dtype())), ones({}, g.dtype()), hits));
      gb = mul(share, self_hit.to(g.dtype()));
      Tensor hit_full = zeros(src_shape, g.dtype());
      {
        Tensor region = hit_full;
        for (size_t k = 0; k < src_shape.size(); ++k) region = narrow(region, k, 0, idx.shape()[k]);
        NoGradGuard ng;
        region.copy_(src_hit);
      }
      gs = mul(gathered_grad(share, d, idx, src_shape), hit_full);
    }
    return Grads{n[0] ? gb : Tensor(), n[1] ? gs : Tensor()};
  }, {out, idx, base, src}, Backward::Kernel);
  return out;
}

Tensor nonzero(const Tensor& a) { return cpu::nonzero(contiguous(detach(a))); }

Tensor masked_fill(const Tensor& a, const Tensor& mask, Scalar value) {
  GLIA_CHECK(mask.dtype() == DType::Bool, DTypeError, "masked_fill: mask must be bool, got ",
             mask.dtype());
  return where(mask, scalar_tensor(value, a.dtype()), a);
}

namespace {

struct AdvancedPlan {
  std::vector<int64_t> dims;  // indexed dims, in order
  std::vector<Tensor> index;  // their int64 indices, broadcast to `shape`, wrapped
  Shape shape;                // the broadcast index shape
  bool adjacent = true;       // indexed dims are consecutive: result keeps them in place
};

AdvancedPlan plan_advanced(const Tensor& a, const std::vector<Tensor>& indices, const char* op) {
  GLIA_CHECK(static_cast<int64_t>(indices.size()) <= a.dim(), IndexError, op, ": too many indices (",
             indices.size(), ") for a tensor of shape ", a.shape());
  AdvancedPlan p;
  for (size_t k = 0; k < indices.size(); ++k) {
    if (!indices[k].defined()) continue;
    GLIA_CHECK(indices[k].dtype() == DType::Int64, DTypeError, op,
               ": index tensors must be int64 (or bool masks), got ", indices[k].dtype());
    if (!p.dims.empty() && p.dims.back() != static_cast<int64_t>(k) - 1) p.adjacent = false;
    p.dims.push_back(static_cast<int64_t>(k));
    p.shape = p.index.empty() ? indices[k].shape() : broadcast_shapes(p.shape, indices[k].shape(), op);
    p.index.push_back(indices[k]);
  }
  GLIA_CHECK(!p.dims.empty(), IndexError, op, ": no index tensors given");
  for (size_t k = 0; k < p.index.size(); ++k)
    p.index[k] = checked_index(expand(p.index[k], p.shape), a.shape()[p.dims[k]], op, true);
  return p;
}

// Row-major linear index over the indexed dims.
Tensor linear_index(const Tensor& a, const AdvancedPlan& p) {
  Tensor lin = zeros(p.shape, DType::Int64);
  int64_t* out = lin.data<int64_t>();
  int64_t scale = 1;
  for (int64_t k = static_cast<int64_t>(p.dims.size()) - 1; k >= 0; --k) {
    const int64_t* ix = p.index[k].data<int64_t>();
    for (int64_t e = 0; e < lin.numel(); ++e) out[e] += ix[e] * scale;
    scale *= a.shape()[p.dims[k]];
  }
  return lin;
}

Shape rest_order(const Tensor& a, const AdvancedPlan& p, Shape& order) {
  Shape rest;
  order = Shape(p.dims.begin(), p.dims.end());
  for (int64_t d = 0; d < a.dim(); ++d)
    if (std::find(p.dims.begin(), p.dims.end(), d) == p.dims.end()) {
      order.push_back(d);
      rest.push_back(a.shape()[d]);
    }
  return rest;
}

}  // namespace

Tensor index(const Tensor& a, const std::vector<Tensor>& indices) {
  AdvancedPlan p = plan_advanced(a, indices, "index");
  Shape order;
  Shape rest = rest_order(a, p, order);
  int64_t flat = 1;
  for (int64_t d : p.dims) flat *= a.shape()[d];
  Shape flat_shape{flat};
  flat_shape.insert(flat_shape.end(), rest.begin(), rest.end());
  Tensor src = reshape(permute(a, order), flat_shape);
  Tensor lin = linear_index(a, p);
  Tensor out = index_select(src, 0, reshape(lin, {-1}));
  Shape out_shape = p.shape;
  out_shape.insert(out_shape.end(), rest.begin(), rest.end());
  out = reshape(out, out_shape);
  // NumPy: consecutive indexed dims stay where they were; otherwise they lead.
  if (p.adjacent && p.dims[0] > 0) {
    int64_t nidx = static_cast<int64_t>(p.shape.size());
    Shape perm;
    for (int64_t k = 0; k < p.dims[0]; ++k) perm.push_back(nidx + k);
    for (int64_t k = 0; k < nidx; ++k) perm.push_back(k);
    for (int64_t k = nidx + p.dims[0]; k < static_cast<int64_t>(out_shape.size()); ++k) perm.push_back(k);
    out = permute(out, perm);
  }
  return out;
}

void index_put_(Tensor& a, const std::vector<Tensor>& indices, const Tensor& values) {
  GLIA_CHECK(!(grad_enabled() && a.requires_grad()), Error,
             "index_put_: in-place assignment to a tensor that requires grad; use no_grad()");
  AdvancedPlan p = plan_advanced(a, indices, "index_put_");
  Shape order;
  Shape rest = rest_order(a, p, order);
  Shape target = p.shape;  // values are read in (index..., rest...) order
  target.insert(target.end(), rest.begin(), rest.end());
  Tensor v = values;
  if (p.adjacent && p.dims[0] > 0) {
    // values broadcast against the NumPy result shape, whose index dims sit at dims[0]
    Shape result;
    Shape lead(a.shape().begin(), a.shape().begin() + p.dims[0]);
    result = lead;
    result.insert(result.end(), p.shape.begin(), p.shape.end());
    result.insert(result.end(), rest.begin() + p.dims[0], rest.end());
    v = expand(values, result);
    int64_t nidx = static_cast<int64_t>(p.shape.size());
    Shape perm;
    for (int64_t k = 0; k < nidx; ++k) perm.push_back(p.dims[0] + k);
    for (int64_t k = 0; k < p.dims[0]; ++k) perm.push_back(k);
    for (int64_t k = p.dims[0] + nidx; k < static_cast<int64_t>(result.size()); ++k) perm.push_back(k);
    v = permute(v, perm);
  }
  v = contiguous(expand(detach(v).to(a.dtype()), target));
  Tensor view = permute(detach(a), order);
  Shape rest_strides(view.strides().begin() + p.dims.size(), view.strides().end());
  int64_t count = shape_numel(p.shape), rest_n = shape_numel(rest);
  for (int64_t e = 0; e < count; ++e) {
    int64_t off = a.offset();
    for (size_t k = 0; k < p.dims.size(); ++k)
      off += p.index[k].data<int64_t>()[e] * a.strides()[p.dims[k]];
    Tensor dst = Tensor::make(a.storage(), rest, rest_strides, off, a.dtype());
    Tensor src = Tensor::make(v.storage(), rest, contiguous_strides(rest), v.offset() + e * rest_n,
                              a.dtype());
    cpu::copy(src, dst);
  }
  ++a.storage()->version;
}

}  // namespace glia
