#pragma once
// Matrix products. Large float products go to a CBLAS library loaded at run time
// (OpenBLAS from the scipy-openblas32 wheel); small ones and the fallback use Eigen.
#include <string>

#include "glia/tensor.h"

namespace glia::cpu {

// out[b] = a[b] @ b[b] for 3-D a (B, M, K), b (B, K, N) with any strides; out is a
// contiguous (B, M, N) tensor of the same dtype. With `accumulate`, out += a @ b.
void bmm(const Tensor& a, const Tensor& b, const Tensor& out, bool accumulate = false);

bool load_blas(const std::string& path);
std::string blas_name();
void set_num_threads(int n);
int get_num_threads();

}  // namespace glia::cpu
