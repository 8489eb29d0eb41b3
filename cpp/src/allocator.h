#pragma once
// A caching CPU allocator: freed blocks are kept by size class and handed out again,
// because first-touching fresh pages costs far more than most kernels (DESIGN.md).
#include <cstddef>

namespace glia::allocator {

void* allocate(size_t nbytes);
void release(void* ptr, size_t nbytes);
// Gives every cached block back to the OS.
void empty_cache();
size_t cached_bytes();
void set_cache_limit(size_t bytes);

}  // namespace glia::allocator
