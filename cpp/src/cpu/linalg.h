#pragma once
// Matrix products. Large float products go to a CBLAS library loaded at run time
// (OpenBLAS from the scipy-openblas32 wheel); small ones and the fallback use Eigen.
#include <string>

#include "glia/tensor.h"

namespace glia::cpu {

// out[b] = a[b] @ b[b] for 3-D a (B, M, K), b (B, K, N) with any strides; out is a
// contiguous (B, M, N) tensor of the same dtype. With `accumulate`, out += a @ b.
void bmm(const Tensor& a, const Tensor& b, const Tensor& out, bool accumulate = false);

// C (M, N) = A (M, K) @ B (K, N) (+= with accumulate) on the calling thread only: row-major
// operands with leading dims lda/ldb/ldc, either optionally transposed (stored as K x M /
// N x K). Uses the loaded BLAS for sizable products, Eigen for small ones and for one-row or
// one-column products (a matrix-vector product reads the matrix once; BLAS's GEMM would pack
// it first). For kernels that already run one task per thread (convolution, attention) and
// for bmm's blocks.
template <class T>
void gemm_serial(const T* A, bool trans_a, int64_t lda, const T* B, bool trans_b, int64_t ldb, T* C,
                 int64_t ldc, int64_t M, int64_t N, int64_t K, bool accumulate);

bool load_blas(const std::string& path);
std::string blas_name();
void set_num_threads(int n);
int get_num_threads();

}  // namespace glia::cpu
