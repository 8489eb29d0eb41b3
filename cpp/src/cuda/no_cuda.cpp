// Built when GLIA_CUDA=OFF: the CUDA backend reports that it is absent.
#include "cuda/device.h"

namespace glia::cuda {

int device_count() { return 0; }

}  // namespace glia::cuda
