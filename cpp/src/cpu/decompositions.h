#pragma once
// Dense matrix factorizations with Eigen, over a batch of contiguous row-major matrices
// (float32 or float64): `batch` matrices of m x n stored one after another.
#include <cstdint>

#include "glia/tensor.h"

namespace glia::cpu {

// det of each n x n matrix (LU with partial pivoting).
void det(const Tensor& a, int64_t batch, int64_t n, const Tensor& out);
// sign and log|det| of each matrix; a singular one gives sign 0 and -inf.
void slogdet(const Tensor& a, int64_t batch, int64_t n, const Tensor& sign, const Tensor& logabs);
// Returns the index of the first singular matrix, or -1. X = A^-1 B with B of n x k.
int64_t solve(const Tensor& a, const Tensor& b, int64_t batch, int64_t n, int64_t k,
              const Tensor& x);
// Lower Cholesky factors; returns the index of the first matrix that is not positive-definite
// (and in `order` the order of its failing leading minor), or -1.
int64_t cholesky(const Tensor& a, int64_t batch, int64_t n, const Tensor& l, int64_t* order);
// Eigenvalues (ascending) and, if `vectors` is defined, eigenvectors (columns) of the
// symmetric matrices, read from their lower triangles.
void eigh(const Tensor& a, int64_t batch, int64_t n, const Tensor& values, const Tensor& vectors);
// Thin (or full) SVD: U (m x k or m x m), S (k, descending), Vh (k x n or n x n), k = min(m, n).
// U and Vh undefined: singular values only.
void svd(const Tensor& a, int64_t batch, int64_t m, int64_t n, bool full, const Tensor& u,
         const Tensor& s, const Tensor& vh);
// Householder QR: Q (m x k, or m x m when `complete`) and R (k x n, or m x n), k = min(m, n).
void qr(const Tensor& a, int64_t batch, int64_t m, int64_t n, bool complete, const Tensor& q,
        const Tensor& r);

}  // namespace glia::cpu
