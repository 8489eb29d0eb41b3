// Built when GLIA_CUDA=ON.
#include <cuda_runtime.h>

#include "cuda/device.h"

namespace glia::cuda {

int device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) return 0;
  return n;
}

}  // namespace glia::cuda
