// Device and memory queries exposed in the public API.
#include "allocator.h"
#include "cuda/device.h"
#include "glia/ops.h"

namespace glia {

bool cuda_is_available() { return cuda::device_count() > 0; }
size_t cached_bytes() { return allocator::cached_bytes(); }
void empty_cache() { allocator::empty_cache(); }

}  // namespace glia
