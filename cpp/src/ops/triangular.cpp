// tril / triu: masks by position over the last two dims (causal attention masks, triangular
// factors), composed of arange, a comparison and where, so gradients flow through where.
#include "check.h"
#include "glia/ops.h"

namespace glia {

namespace {

Tensor triangle(const Tensor& a, int64_t diagonal, bool lower, const char* name) {
  GLIA_CHECK(a.defined(), Error, name, ": got an undefined tensor");
  GLIA_CHECK(a.dim() >= 2, ShapeError, name, ": input must have at least 2 dims, got shape ",
             a.shape());
  const int64_t rows = a.shape()[a.dim() - 2], cols = a.shape()[a.dim() - 1];
  // j - i for every (i, j), against the diagonal's offset
  Tensor offset = sub(reshape(arange(0, cols), {1, cols}), reshape(arange(0, rows), {rows, 1}));
  Tensor d = scalar_tensor(diagonal, DType::Int64);
  return where(lower ? le(offset, d) : ge(offset, d), a, zeros({}, a.dtype()));
}

}  // namespace

Tensor tril(const Tensor& a, int64_t diagonal) { return triangle(a, diagonal, true, "tril"); }
Tensor triu(const Tensor& a, int64_t diagonal) { return triangle(a, diagonal, false, "triu"); }

}  // namespace glia
