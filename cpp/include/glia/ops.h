#pragma once
// The tensor operations, as free functions. Names and semantics follow PyTorch.
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "glia/tensor.h"

namespace glia {

// ---- creation (creation.cpp) ----
Tensor zeros(const Shape& shape, DType dtype = DType::Float32);
Tensor ones(const Shape& shape, DType dtype = DType::Float32);
Tensor full(const Shape& shape, Scalar value, std::optional<DType> dtype = std::nullopt);
Tensor empty(const Shape& shape, DType dtype = DType::Float32);
Tensor zeros_like(const Tensor& t, std::optional<DType> dtype = std::nullopt);
Tensor ones_like(const Tensor& t, std::optional<DType> dtype = std::nullopt);
Tensor full_like(const Tensor& t, Scalar value, std::optional<DType> dtype = std::nullopt);
Tensor empty_like(const Tensor& t, std::optional<DType> dtype = std::nullopt);
// A 0-d tensor holding `value`.
Tensor scalar_tensor(Scalar value, DType dtype);
Tensor arange(Scalar start, Scalar end, Scalar step = Scalar(int64_t(1)),
              std::optional<DType> dtype = std::nullopt);
Tensor linspace(double start, double end, int64_t steps, DType dtype = DType::Float32);
Tensor eye(int64_t n, int64_t m = -1, DType dtype = DType::Float32);

// ---- random (random.cpp); one seeded global generator ----
void manual_seed(uint64_t seed);
uint64_t initial_seed();  // the last seed given, or the one the generator starts from
Tensor rand(const Shape& shape, DType dtype = DType::Float32);
Tensor randn(const Shape& shape, DType dtype = DType::Float32);
Tensor randint(int64_t low, int64_t high, const Shape& shape, DType dtype = DType::Int64);
Tensor normal(double mean, double std, const Shape& shape, DType dtype = DType::Float32);
Tensor bernoulli(const Tensor& p);
Tensor randperm(int64_t n);

// ---- elementwise (elementwise.cpp); binary ops broadcast as NumPy ----
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& a, Scalar exponent);
Tensor pow(Scalar base, const Tensor& exponent);
Tensor minimum(const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor atan2(const Tensor& a, const Tensor& b);
Tensor hypot(const Tensor& a, const Tensor& b);  // sqrt(a^2 + b^2) without overflow
// Division rounded toward -inf, its remainder (sign of b, as Python's %) and the remainder of
// division rounded toward zero (sign of a, as C's fmod); integer dtypes stay integer.
Tensor floor_divide(const Tensor& a, const Tensor& b);
Tensor remainder(const Tensor& a, const Tensor& b);
Tensor fmod(const Tensor& a, const Tensor& b);
// bool and int64 only
Tensor bitwise_and(const Tensor& a, const Tensor& b);
Tensor bitwise_or(const Tensor& a, const Tensor& b);
Tensor bitwise_xor(const Tensor& a, const Tensor& b);
Tensor bitwise_not(const Tensor& a);
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
Tensor neg(const Tensor& a);
Tensor exp(const Tensor& a);
Tensor expm1(const Tensor& a);
Tensor log(const Tensor& a);
Tensor log1p(const Tensor& a);
Tensor sqrt(const Tensor& a);
Tensor rsqrt(const Tensor& a);
Tensor abs(const Tensor& a);
Tensor sign(const Tensor& a);
Tensor sin(const Tensor& a);
Tensor cos(const Tensor& a);
Tensor tanh(const Tensor& a);
Tensor sigmoid(const Tensor& a);
// x Phi(x), or with tanh_form PyTorch's approximate='tanh'
Tensor gelu(const Tensor& a, bool tanh_form = false);
Tensor relu(const Tensor& a);
Tensor square(const Tensor& a);
Tensor reciprocal(const Tensor& a);
Tensor floor(const Tensor& a);
Tensor ceil(const Tensor& a);
Tensor round(const Tensor& a);
Tensor trunc(const Tensor& a);  // toward zero
Tensor log2(const Tensor& a);
Tensor log10(const Tensor& a);
Tensor exp2(const Tensor& a);
Tensor erf(const Tensor& a);
Tensor erfc(const Tensor& a);
// copysign(a, b): |a| with b's sign; fmax/fmin: NaN loses to a number; nextafter: the next
// float from a toward b; gcd/lcm (int64, never negative); shifts (int64; past 63 bits the
// left shift gives 0 and the right shift the sign); signbit (-0.0 and -nan included).
Tensor copysign(const Tensor& a, const Tensor& b);
Tensor fmax(const Tensor& a, const Tensor& b);
Tensor fmin(const Tensor& a, const Tensor& b);
Tensor nextafter(const Tensor& a, const Tensor& b);
Tensor gcd(const Tensor& a, const Tensor& b);
Tensor lcm(const Tensor& a, const Tensor& b);
Tensor bitwise_left_shift(const Tensor& a, const Tensor& b);
Tensor bitwise_right_shift(const Tensor& a, const Tensor& b);
Tensor signbit(const Tensor& a);
// Special functions (special.cpp): log|Gamma|, its derivatives psi^(n), the inverse of erf,
// and the multivariate log-gamma of dimension p.
Tensor lgamma(const Tensor& a);
Tensor digamma(const Tensor& a);
Tensor polygamma(int64_t n, const Tensor& a);
Tensor erfinv(const Tensor& a);
Tensor mvlgamma(const Tensor& a, int64_t p);
Tensor tan(const Tensor& a);
Tensor asin(const Tensor& a);
Tensor acos(const Tensor& a);
Tensor atan(const Tensor& a);
Tensor sinh(const Tensor& a);
Tensor cosh(const Tensor& a);
Tensor asinh(const Tensor& a);
Tensor acosh(const Tensor& a);
Tensor atanh(const Tensor& a);
Tensor clamp(const Tensor& a, std::optional<double> min, std::optional<double> max);
// comparisons and logic give bool tensors
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
Tensor logical_and(const Tensor& a, const Tensor& b);
Tensor logical_or(const Tensor& a, const Tensor& b);
Tensor logical_xor(const Tensor& a, const Tensor& b);
Tensor logical_not(const Tensor& a);
Tensor isnan(const Tensor& a);
Tensor isinf(const Tensor& a);     // +-inf (always false for integers and bools)
Tensor isfinite(const Tensor& a);  // neither NaN nor +-inf

// Operand with a number on either side; the number takes the tensor's dtype when it can.
Tensor add(const Tensor& a, Scalar b);
Tensor sub(const Tensor& a, Scalar b);
Tensor sub(Scalar a, const Tensor& b);
Tensor mul(const Tensor& a, Scalar b);
Tensor div(const Tensor& a, Scalar b);
Tensor div(Scalar a, const Tensor& b);
// Brings a number to a 0-d tensor of the dtype it would promote to against `like`.
Tensor scalar_like(Scalar s, const Tensor& like);

Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a);
Tensor operator+(const Tensor& a, Scalar b);
Tensor operator-(const Tensor& a, Scalar b);
Tensor operator*(const Tensor& a, Scalar b);
Tensor operator/(const Tensor& a, Scalar b);
Tensor operator+(Scalar a, const Tensor& b);
Tensor operator-(Scalar a, const Tensor& b);
Tensor operator*(Scalar a, const Tensor& b);
Tensor operator/(Scalar a, const Tensor& b);

// ---- reductions (reduce.cpp); empty `dims` means all dims ----
Tensor sum(const Tensor& a, const Shape& dims = {}, bool keepdim = false);
Tensor mean(const Tensor& a, const Shape& dims = {}, bool keepdim = false);
Tensor prod(const Tensor& a, const Shape& dims = {}, bool keepdim = false);
Tensor amax(const Tensor& a, const Shape& dims = {}, bool keepdim = false);
Tensor amin(const Tensor& a, const Shape& dims = {}, bool keepdim = false);
// values and int64 indices along one dim
std::pair<Tensor, Tensor> max(const Tensor& a, int64_t dim, bool keepdim = false);
std::pair<Tensor, Tensor> min(const Tensor& a, int64_t dim, bool keepdim = false);
Tensor argmax(const Tensor& a, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);
Tensor argmin(const Tensor& a, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);
Tensor var(const Tensor& a, const Shape& dims = {}, bool unbiased = true, bool keepdim = false);
Tensor std(const Tensor& a, const Shape& dims = {}, bool unbiased = true, bool keepdim = false);
Tensor logsumexp(const Tensor& a, const Shape& dims, bool keepdim = false);
Tensor norm(const Tensor& a, double p = 2.0, const Shape& dims = {}, bool keepdim = false);
Tensor softmax(const Tensor& a, int64_t dim);
Tensor log_softmax(const Tensor& a, int64_t dim);
Tensor all(const Tensor& a, const Shape& dims = {}, bool keepdim = false);
Tensor any(const Tensor& a, const Shape& dims = {}, bool keepdim = false);
// Running reductions along `dim` (scan.cpp): sums, products, extremes with their indices
// (the latest on ties), and log(sum(exp)).
Tensor cumsum(const Tensor& a, int64_t dim);
Tensor cumprod(const Tensor& a, int64_t dim);
std::pair<Tensor, Tensor> cummax(const Tensor& a, int64_t dim);
std::pair<Tensor, Tensor> cummin(const Tensor& a, int64_t dim);
Tensor logcumsumexp(const Tensor& a, int64_t dim);
// Sums `a` down to `shape` (the inverse of broadcasting `shape` to a's shape).
Tensor sum_to(const Tensor& a, const Shape& shape);

// ---- linear algebra (linalg.cpp) ----
Tensor matmul(const Tensor& a, const Tensor& b);

// glia.linalg (decompositions.cpp): over the last two dims, batched over the others.
Tensor det(const Tensor& a);
std::pair<Tensor, Tensor> slogdet(const Tensor& a);  // (sign, log|det|)
Tensor inv(const Tensor& a);
Tensor linalg_solve(const Tensor& a, const Tensor& b);  // A^-1 B; B a matrix or a vector
Tensor cholesky(const Tensor& a, bool upper = false);
std::pair<Tensor, Tensor> eigh(const Tensor& a);  // (ascending eigenvalues, eigenvectors)
Tensor eigvalsh(const Tensor& a);
std::tuple<Tensor, Tensor, Tensor> linalg_svd(const Tensor& a, bool full_matrices = true);
Tensor svdvals(const Tensor& a);
std::pair<Tensor, Tensor> qr(const Tensor& a, const std::string& mode = "reduced");
Tensor mm(const Tensor& a, const Tensor& b);
Tensor bmm(const Tensor& a, const Tensor& b);
Tensor outer(const Tensor& a, const Tensor& b);
Tensor dot(const Tensor& a, const Tensor& b);
// Einstein summation over the operands' dims, as torch.einsum: "bij,bjk->bik", implicit
// output ("ij,jk"), '...' for broadcast dims (einsum.cpp).
Tensor einsum(const std::string& equation, const std::vector<Tensor>& operands);
void set_num_threads(int n);
int get_num_threads();
// Loads a CBLAS library for large products; returns false (keeping Eigen) if it cannot.
bool load_blas(const std::string& path);
std::string blas_name();

// ---- views and shape (shape.cpp); views share storage ----
Tensor reshape(const Tensor& a, const Shape& shape);
Tensor view(const Tensor& a, const Shape& shape);
Tensor flatten(const Tensor& a, int64_t start_dim = 0, int64_t end_dim = -1);
Tensor squeeze(const Tensor& a);
Tensor squeeze(const Tensor& a, int64_t dim);
Tensor unsqueeze(const Tensor& a, int64_t dim);
Tensor transpose(const Tensor& a, int64_t d0, int64_t d1);
Tensor permute(const Tensor& a, const Shape& dims);
Tensor movedim(const Tensor& a, int64_t src, int64_t dst);
// Moves each dim src[i] to position dst[i]; the other dims keep their order.
Tensor movedim(const Tensor& a, const Shape& src, const Shape& dst);
Tensor expand(const Tensor& a, const Shape& shape);
Tensor broadcast_to(const Tensor& a, const Shape& shape);
Tensor slice(const Tensor& a, int64_t dim, int64_t start, int64_t stop, int64_t step = 1);
Tensor select(const Tensor& a, int64_t dim, int64_t index);
// The offset diagonal of the dim1 x dim2 planes as a new last dim (a view).
Tensor diagonal(const Tensor& a, int64_t offset = 0, int64_t dim1 = 0, int64_t dim2 = 1);
Tensor narrow(const Tensor& a, int64_t dim, int64_t start, int64_t length);
Tensor contiguous(const Tensor& a);
Tensor clone(const Tensor& a);
Tensor to_dtype(const Tensor& a, DType dtype);
Tensor detach(const Tensor& a);
Tensor cat(const std::vector<Tensor>& tensors, int64_t dim = 0);
Tensor stack(const std::vector<Tensor>& tensors, int64_t dim = 0);
std::vector<Tensor> split(const Tensor& a, int64_t split_size, int64_t dim = 0);
std::vector<Tensor> split(const Tensor& a, const Shape& sizes, int64_t dim = 0);
std::vector<Tensor> chunk(const Tensor& a, int64_t chunks, int64_t dim = 0);
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op = "broadcast");

// ---- indexing (index.cpp) ----
Tensor index_select(const Tensor& a, int64_t dim, const Tensor& index);
// out[i][j] = a[index[i][j]][j] for dim 0, and so on (PyTorch's gather)
Tensor gather(const Tensor& a, int64_t dim, const Tensor& index);
// zeros of `shape` with src added at rows `index` along dim (the adjoint of index_select)
Tensor index_add(const Tensor& base, int64_t dim, const Tensor& index, const Tensor& src);
Tensor scatter_add(const Tensor& base, int64_t dim, const Tensor& index, const Tensor& src);
// base with src (or value) written at index along dim; the last write wins on repeats.
Tensor scatter(const Tensor& base, int64_t dim, const Tensor& index, const Tensor& src);
Tensor scatter(const Tensor& base, int64_t dim, const Tensor& index, Scalar value);
// base with src reduced in at index: "sum", "prod", "mean", "amax" or "amin", counting
// base's own value unless include_self is false.
Tensor scatter_reduce(const Tensor& base, int64_t dim, const Tensor& index, const Tensor& src,
                      const std::string& reduce, bool include_self = true);
Tensor nonzero(const Tensor& a);
// a copy of `a` reversed along each of `dims`
Tensor flip(const Tensor& a, const Shape& dims);

// ---- sorting (sort.cpp) ----
// Values and int64 positions along dim in ascending (or descending) order; NaN counts as the
// largest value and equal values keep their order (stable), as PyTorch's stable sort.
std::pair<Tensor, Tensor> sort(const Tensor& a, int64_t dim = -1, bool descending = false);
Tensor argsort(const Tensor& a, int64_t dim = -1, bool descending = false);
// The k largest (or smallest) along dim, largest (smallest) first, with their positions.
std::pair<Tensor, Tensor> topk(const Tensor& a, int64_t k, int64_t dim = -1, bool largest = true);

// ---- triangles (triangular.cpp) ----
// The last two dims' entries (i, j) with j - i <= diagonal (tril) or >= diagonal (triu);
// zeros elsewhere. diagonal 0 is the main diagonal, > 0 above it.
Tensor tril(const Tensor& a, int64_t diagonal = 0);
Tensor triu(const Tensor& a, int64_t diagonal = 0);
Tensor masked_fill(const Tensor& a, const Tensor& mask, Scalar value);
// a[indices...] where indices[k] indexes dim k; the indices broadcast together (NumPy rules).
Tensor index(const Tensor& a, const std::vector<Tensor>& indices);
// In-place a[indices...] = values (no gradient).
void index_put_(Tensor& a, const std::vector<Tensor>& indices, const Tensor& values);

// In-place ops are the Tensor methods (add_, mul_, zero_, fill_, copy_).

}  // namespace glia

namespace glia {
// True when glia was built with GLIA_CUDA=ON and a CUDA device is present.
bool cuda_is_available();
// The caching allocator: bytes held for reuse, and giving them back to the OS.
size_t cached_bytes();
void empty_cache();
}  // namespace glia
