#pragma once
// Convolution kernels for 1-3 spatial dims, all seen as 3-D (D, H, W; unused dims are 1).
// Layouts are contiguous: x (N, C, D, H, W), w (O, C/groups, kD, kH, kW), y (N, O, oD, oH, oW).
#include <array>
#include <cstdint>

namespace glia::cpu {

struct ConvParams {
  int64_t N = 1, C = 1, O = 1, groups = 1;
  std::array<int64_t, 3> in{1, 1, 1}, k{1, 1, 1}, out{1, 1, 1};
  std::array<int64_t, 3> stride{1, 1, 1}, pad{0, 0, 0}, dil{1, 1, 1};
  int64_t in_size() const { return in[0] * in[1] * in[2]; }
  int64_t out_size() const { return out[0] * out[1] * out[2]; }
  int64_t k_size() const { return k[0] * k[1] * k[2]; }
};

// y = conv(x, w) + b (b may be null).
template <class T>
void conv_forward(const T* x, const T* w, const T* b, T* y, const ConvParams& p);
// gx = conv^T(gy, w): the input gradient, also the transposed convolution's forward.
template <class T>
void conv_backward_input(const T* gy, const T* w, T* gx, const ConvParams& p);
// gw = correlation of gy with x (overwritten, not accumulated).
template <class T>
void conv_backward_weight(const T* gy, const T* x, T* gw, const ConvParams& p);

}  // namespace glia::cpu
