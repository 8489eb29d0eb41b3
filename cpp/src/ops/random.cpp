// Random tensors from one seeded global generator (glia.manual_seed).
#include <Eigen/Core>
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

namespace {

// Standard normals into p[0, n) from engine e by Box-Muller: m = ceil(n / 2) uniforms u, then
// m uniforms v, and each pair gives r cos(2 pi v) and r sin(2 pi v), r = sqrt(-2 log(1 - u)),
// computed vectorised. float32 takes its sines and cosines in float32, float64 in float64.
template <class T>
void normal_block(std::mt19937_64& e, T* p, int64_t n) {
  using Array = Eigen::Array<double, Eigen::Dynamic, 1>;
  const int64_t m = (n + 1) / 2;
  Array u(m), v(m);
  for (int64_t i = 0; i < m; ++i) u[i] = uniform01(e);
  for (int64_t i = 0; i < m; ++i) v[i] = uniform01(e);
  const Array r = (-2.0 * (1.0 - u).log()).sqrt();
  Array c(m), s(m);
  if constexpr (std::is_same_v<T, float>) {
    // evaluated in float32 before the cast: Eigen vectorises sin and cos only so
    const Eigen::ArrayXf angle = (v * (2.0 * M_PI)).template cast<float>();
    const Eigen::ArrayXf cf = angle.cos(), sf = angle.sin();
    c = cf.template cast<double>();
    s = sf.template cast<double>();
  } else {
    for (int64_t i = 0; i < m; ++i) {
      c[i] = std::cos(2.0 * M_PI * v[i]);
      s[i] = std::sin(2.0 * M_PI * v[i]);
    }
  }
  for (int64_t i = 0; i < m; ++i) {
    p[2 * i] = static_cast<T>(r[i] * c[i]);
    if (2 * i + 1 < n) p[2 * i + 1] = static_cast<T>(r[i] * s[i]);
  }
}

}  // namespace

Tensor randn(const Shape& shape, DType dtype) {
  // Box-Muller on our own uniforms, so results do not depend on the C++ library. A large
  // tensor is drawn in blocks on the threads, each block from its own engine seeded, in block
  // order, from the global one: the values depend on the seed, not on the thread count.
  constexpr int64_t kBlock = int64_t(1) << 16;
  Tensor t = Tensor::empty(shape, dtype);
  const int64_t n = t.numel(), blocks = (n + kBlock - 1) / kBlock;
  Generator& g = generator();
  std::lock_guard<std::mutex> lock(g.mutex);
  dispatch_float(dtype, "randn", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* p = t.data<T>();
    if (blocks <= 1) {
      normal_block<T>(g.engine, p, n);
      return;
    }
    std::vector<uint64_t> seeds(static_cast<size_t>(blocks));
    for (uint64_t& seed : seeds) seed = g.engine();
    cpu::parallel_for(0, blocks, 1, [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) {
        std::mt19937_64 e(seeds[size_t(b)]);
        normal_block<T>(e, p + b * kBlock, std::min(kBlock, n - b * kBlock));
      }
    });
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
