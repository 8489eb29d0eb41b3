// Random tensors from one seeded global generator (glia.manual_seed).
#include <cmath>
#include <mutex>
#include <random>
#include <vector>

#include "check.h"
#include "cpu/parallel.h"
#include "dispatch.h"
#include "glia/ops.h"

namespace glia {

namespace {

constexpr uint64_t kDefaultSeed = 0x5eed;

struct Generator {
  std::mutex mutex;
  uint64_t seed = kDefaultSeed;  // the last one given, for initial_seed()
  std::mt19937_64 engine{kDefaultSeed};
};

Generator& generator() {
  static Generator g;
  return g;
}

// Uniform doubles in [0, 1) with 53 random bits.
double uniform01(std::mt19937_64& e) { return (e() >> 11) * (1.0 / 9007199254740992.0); }

template <class F>
Tensor fill_random(const Shape& shape, DType dtype, const char* op, F draw) {
  Tensor t = Tensor::empty(shape, dtype);
  Generator& g = generator();
  std::lock_guard<std::mutex> lock(g.mutex);
  dispatch_float(dtype, op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* p = t.data<T>();
    for (int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<T>(draw(g.engine));
  });
  return t;
}

}  // namespace

void manual_seed(uint64_t seed) {
  Generator& g = generator();
  std::lock_guard<std::mutex> lock(g.mutex);
  g.seed = seed;
  g.engine.seed(seed);
}

uint64_t initial_seed() {
  Generator& g = generator();
  std::lock_guard<std::mutex> lock(g.mutex);
  return g.seed;
}

Tensor rand(const Shape& shape, DType dtype) {
  return fill_random(shape, dtype, "rand", [](std::mt19937_64& e) { return uniform01(e); });
}

Tensor randn(const Shape& shape, DType dtype) {
  // Box-Muller on our own uniforms, so results do not depend on the C++ library. The
  // uniforms come from the one generator in order, a chunk at a time; the transform, which
  // costs most, runs on the threads: the same values as drawing and transforming one by one.
  Tensor t = Tensor::empty(shape, dtype);
  Generator& g = generator();
  std::lock_guard<std::mutex> lock(g.mutex);
  dispatch_float(dtype, "randn", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* p = t.data<T>();
    constexpr int64_t kChunk = int64_t(1) << 15;
    std::vector<double> u(size_t(2 * std::min<int64_t>(kChunk, t.numel())));
    for (int64_t b = 0; b < t.numel(); b += kChunk) {
      const int64_t m = std::min(kChunk, t.numel() - b);
      for (int64_t i = 0; i < 2 * m; ++i) u[size_t(i)] = uniform01(g.engine);
      cpu::parallel_for(0, m, 4096, [&](int64_t s, int64_t e) {
        for (int64_t i = s; i < e; ++i)
          p[b + i] = static_cast<T>(std::sqrt(-2.0 * std::log1p(-u[size_t(2 * i)])) *
                                    std::cos(2.0 * M_PI * u[size_t(2 * i + 1)]));
      });
    }
  });
  return t;
}

Tensor normal(double mean, double std, const Shape& shape, DType dtype) {
  GLIA_CHECK(std >= 0, ShapeError, "normal: std must be non-negative, got ", std);
  return add(mul(randn(shape, dtype), Scalar(std)), Scalar(mean));
}

Tensor randint(int64_t low, int64_t high, const Shape& shape, DType dtype) {
  GLIA_CHECK(high > low, ShapeError, "randint: high (", high, ") must be greater than low (", low, ")");
  Tensor t = Tensor::empty(shape, DType::Int64);
  Generator& g = generator();
  {
    std::lock_guard<std::mutex> lock(g.mutex);
    uint64_t span = static_cast<uint64_t>(high - low);
    int64_t* p = t.data<int64_t>();
    for (int64_t i = 0; i < t.numel(); ++i)
      p[i] = low + static_cast<int64_t>(static_cast<unsigned __int128>(g.engine()) * span >> 64);
  }
  return dtype == DType::Int64 ? t : t.to(dtype);
}

Tensor bernoulli(const Tensor& p) {
  GLIA_CHECK(is_floating(p.dtype()), DTypeError, "bernoulli: probabilities must be floating point, got ",
             p.dtype());
  Tensor probs = contiguous(detach(p));
  Tensor out = Tensor::empty(p.shape(), p.dtype());
  Generator& g = generator();
  std::lock_guard<std::mutex> lock(g.mutex);
  dispatch_float(p.dtype(), "bernoulli", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* q = probs.data<T>();
    T* o = out.data<T>();
    for (int64_t i = 0; i < out.numel(); ++i) {
      GLIA_CHECK(q[i] >= 0 && q[i] <= 1, ShapeError, "bernoulli: probability ", q[i],
                 " is outside [0, 1]");
      o[i] = uniform01(g.engine) < q[i] ? T(1) : T(0);
    }
  });
  return out;
}

Tensor randperm(int64_t n) {
  GLIA_CHECK(n >= 0, ShapeError, "randperm: n must be non-negative, got ", n);
  Tensor t = arange(Scalar(int64_t(0)), Scalar(n));
  int64_t* p = t.data<int64_t>();
  Generator& g = generator();
  std::lock_guard<std::mutex> lock(g.mutex);
  for (int64_t i = n - 1; i > 0; --i) {
    int64_t j = static_cast<int64_t>(static_cast<unsigned __int128>(g.engine()) * uint64_t(i + 1) >> 64);
    std::swap(p[i], p[j]);
  }
  return t;
}

}  // namespace glia
