#pragma once
// Window pooling over planes (N*C) of up to 3 spatial dims, all seen as (D, H, W).
// Each output position o along dim d reads input positions start[d][o], start+step, ...
// below end[d][o]; the ops layer computes these windows (regular, ceil_mode, adaptive).
#include <array>
#include <cstdint>
#include <vector>

namespace glia::cpu {

struct PoolWindows {
  int64_t planes = 1;
  std::array<int64_t, 3> in{1, 1, 1}, out{1, 1, 1};
  std::array<std::vector<int64_t>, 3> start, end, step;
  std::array<std::vector<double>, 3> divisor;  // avg: per-dim factors of the divisor
  double divisor_override = 0;                 // > 0 replaces the product of the factors
};

// Max: writes values and flat input indices (within a plane), NaN wins as in PyTorch; a
// window that covers only padding gives -inf and index -1.
template <class T>
void max_pool_forward(const T* x, const PoolWindows& w, T* y, int64_t* idx);
template <class T>
void max_pool_backward(const T* gy, const int64_t* idx, const PoolWindows& w, T* gx);
// Average: sum over the window divided by the divisor.
template <class T>
void avg_pool_forward(const T* x, const PoolWindows& w, T* y);
template <class T>
void avg_pool_backward(const T* gy, const PoolWindows& w, T* gx);

}  // namespace glia::cpu
