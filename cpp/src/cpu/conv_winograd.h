#pragma once
// Winograd F(2x2, 3x3) for 2-D, 3x3, stride-1, undilated, single-group convolutions: each
// 2x2 output tile comes from a 4x4 input tile through 16 elementwise products per channel
// pair instead of 36, done as 16 GEMMs over blocks of tiles (2.25x fewer multiplies than
// im2col). The backward passes reuse the same transforms.
#include "cpu/conv.h"

namespace glia::cpu {

// True when the kernels below handle p (and are worth it over im2col + GEMM).
bool winograd_applies(const ConvParams& p);

// y = conv(x, w) + b (b may be null).
template <class T>
void winograd_conv_forward(const T* x, const T* w, const T* b, T* y, const ConvParams& p);
// gx = conv^T(gy, w), as a forward convolution of gy with the flipped, transposed kernel.
template <class T>
void winograd_conv_backward_input(const T* gy, const T* w, T* gx, const ConvParams& p);
// gw = correlation of gy with x, through the adjoints of the output and filter transforms.
template <class T>
void winograd_conv_backward_weight(const T* gy, const T* x, T* gw, const ConvParams& p);

}  // namespace glia::cpu
