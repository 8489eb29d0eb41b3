#include "allocator.h"

#include <sys/mman.h>

#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

namespace glia::allocator {
namespace {

constexpr size_t kAlign = 64;
constexpr size_t kHugePage = size_t(2) << 20;

struct Cache {
  std::mutex mutex;
  std::unordered_map<size_t, std::vector<void*>> free_blocks;  // by size class
  size_t cached = 0;
  size_t limit = size_t(2) << 30;
};

Cache& cache() {
  static Cache* c = new Cache();  // never destroyed: tensors may outlive static teardown
  return *c;
}

// Rounds up to a size class: multiples of 64 below 1 KiB, then 8 classes per power of two.
size_t size_class(size_t n) {
  if (n <= 1024) return n == 0 ? kAlign : (n + kAlign - 1) / kAlign * kAlign;
  size_t top = size_t(1) << (63 - __builtin_clzll(n));
  size_t step = top / 8;
  return (n + step - 1) / step * step;
}

void* os_allocate(size_t bytes) {
  size_t align = bytes >= kHugePage ? kHugePage : kAlign;
  size_t rounded = (bytes + align - 1) / align * align;
  void* p = std::aligned_alloc(align, rounded);
  if (!p) throw std::bad_alloc();
  if (align == kHugePage) madvise(p, rounded, MADV_HUGEPAGE);
  return p;
}

}  // namespace

void* allocate(size_t nbytes) {
  size_t cls = size_class(nbytes);
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    auto it = c.free_blocks.find(cls);
    if (it != c.free_blocks.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      c.cached -= cls;
      return p;
    }
  }
  return os_allocate(cls);
}

void release(void* ptr, size_t nbytes) {
  if (!ptr) return;
  size_t cls = size_class(nbytes);
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    if (c.cached + cls <= c.limit) {
      c.free_blocks[cls].push_back(ptr);
      c.cached += cls;
      return;
    }
  }
  std::free(ptr);
}

void empty_cache() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  for (auto& [cls, blocks] : c.free_blocks)
    for (void* p : blocks) std::free(p);
  c.free_blocks.clear();
  c.cached = 0;
}

size_t cached_bytes() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  return c.cached;
}

void set_cache_limit(size_t bytes) {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  c.limit = bytes;
}

}  // namespace glia::allocator
