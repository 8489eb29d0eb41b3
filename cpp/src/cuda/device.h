#pragma once
// CUDA device queries; with GLIA_CUDA=OFF they report no devices (no_cuda.cpp).
namespace glia::cuda {

int device_count();

}  // namespace glia::cuda
