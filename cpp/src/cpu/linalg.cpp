#include "cpu/linalg.h"

#include <dlfcn.h>
#include <omp.h>

#include <Eigen/Core>
#include <algorithm>

#include "cpu/panel_gemm.h"
#include "cpu/parallel.h"
#include "dispatch.h"

namespace glia::cpu {
namespace {

// The CBLAS entry points glia uses (row-major = 101, no-trans = 111, trans = 112).
using SgemmFn = void (*)(int, int, int, int, int, int, float, const float*, int, const float*,
                         int, float, float*, int);
using DgemmFn = void (*)(int, int, int, int, int, int, double, const double*, int, const double*,
                         int, double, double*, int);
using SetThreadsFn = void (*)(int);

struct Blas {
  SgemmFn sgemm = nullptr;
  DgemmFn dgemm = nullptr;
  SetThreadsFn set_threads = nullptr;
  std::string name = "eigen";
};

Blas& blas() {
  static Blas b;
  return b;
}

int& thread_count() {
  static int n = omp_get_max_threads();
  return n;
}

// Products with fewer multiply-adds than this stay on one thread, where a BLAS call's packing
// and thread wake-ups cost more than they save.
constexpr int64_t kBlasMinFlops = int64_t(96) * 96 * 96;
// Below BLAS sizes, products whose dims are all at least this run on glia's panel kernel
// (panel_gemm.h): 1.2-2x Eigen's speed from 32^3 to 95^3 in float32 and float64. Smaller
// ones, and those with A stored transposed, stay in Eigen.
constexpr int64_t kPanelMinDim = 16;
// The fewest columns a thread takes when the threads share the columns of a product.
constexpr int64_t kColumnBlock = 64;

// One matrix of a batch as BLAS sees it: row-major with leading dim `ld`, maybe transposed.
struct MatLayout {
  bool ok = false, trans = false;
  int64_t ld = 0;
};

MatLayout layout_of(int64_t rows, int64_t cols, int64_t rs, int64_t cs) {
  MatLayout m;
  if (cs == 1 || cols == 1) {
    int64_t ld = rows == 1 ? std::max<int64_t>(cols, 1) : rs;
    if (ld >= std::max<int64_t>(cols, 1)) return {true, false, ld};
  }
  if (rs == 1 || rows == 1) {
    int64_t ld = cols == 1 ? std::max<int64_t>(rows, 1) : cs;
    if (ld >= std::max<int64_t>(rows, 1)) return {true, true, ld};
  }
  return m;
}

template <class T>
using RowMat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using ColMat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>;

template <class T>
void eigen_gemm(const T* A, MatLayout la, const T* B, MatLayout lb, T* C, int64_t M, int64_t N,
                int64_t K, bool acc) {
  using Stride = Eigen::OuterStride<>;
  Eigen::Map<RowMat<T>> c(C, M, N);
  auto run = [&](const auto& a) {
    if (lb.trans) {
      auto b = Eigen::Map<const ColMat<T>, 0, Stride>(B, K, N, Stride(lb.ld));
      if (acc) c.noalias() += a * b;
      else c.noalias() = a * b;
    } else {
      auto b = Eigen::Map<const RowMat<T>, 0, Stride>(B, K, N, Stride(lb.ld));
      if (acc) c.noalias() += a * b;
      else c.noalias() = a * b;
    }
  };
  if (la.trans)
    run(Eigen::Map<const ColMat<T>, 0, Stride>(A, M, K, Stride(la.ld)));
  else
    run(Eigen::Map<const RowMat<T>, 0, Stride>(A, M, K, Stride(la.ld)));
}

template <class T>
void bmm_typed(const Tensor& a, const Tensor& b, const Tensor& out, bool acc) {
  const int64_t batch = a.shape()[0], M = a.shape()[1], K = a.shape()[2], N = b.shape()[2];
  T* C = out.data<T>();
  if (M == 0 || N == 0) return;
  if (K == 0) {
    if (!acc) std::fill(C, C + batch * M * N, T(0));
    return;
  }
  MatLayout la = layout_of(M, K, a.strides()[1], a.strides()[2]);
  MatLayout lb = layout_of(K, N, b.strides()[1], b.strides()[2]);
  // Operands BLAS cannot read in place are copied to contiguous memory first.
  Tensor ac = a, bc = b;
  if (!la.ok) {
    ac = Tensor::empty(a.shape(), a.dtype());
    Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>(ac.data<T>(), ac.numel()).setZero();
    for (int64_t i = 0; i < batch; ++i)
      for (int64_t r = 0; r < M; ++r)
        for (int64_t c = 0; c < K; ++c)
          ac.data<T>()[(i * M + r) * K + c] =
              a.data<T>()[i * a.strides()[0] + r * a.strides()[1] + c * a.strides()[2]];
    la = layout_of(M, K, K, 1);
  }
  if (!lb.ok) {
    bc = Tensor::empty(b.shape(), b.dtype());
    for (int64_t i = 0; i < batch; ++i)
      for (int64_t r = 0; r < K; ++r)
        for (int64_t c = 0; c < N; ++c)
          bc.data<T>()[(i * K + r) * N + c] =
              b.data<T>()[i * b.strides()[0] + r * b.strides()[1] + c * b.strides()[2]];
    lb = layout_of(K, N, N, 1);
  }
  const T* A = ac.data<T>();
  const T* B = bc.data<T>();
  const int64_t sa = ac.strides()[0], sb = bc.strides()[0];
  const int64_t flops = M * N * K;
  if constexpr (std::is_floating_point_v<T>) {
    if (flops >= kBlasMinFlops && blas().sgemm) {
      // BLAS runs single-threaded inside glia's OpenMP threads (one pool, never two pools
      // fighting over the cores): whole matrices per thread, or row blocks of each matrix, or
      // column blocks (rows of B when it is stored transposed, as a Linear layer's weight is).
      // Each block packs all of the other operand, so products with too few rows for every
      // thread, and a few rows against a wide B (a Linear layer on a small batch), split the
      // columns: 20-30% faster for M <= 64 against 1024-4096 columns, and still ahead up to
      // N / 4 rows.
      const int64_t threads = max_threads();  // as parallel_for splits
      auto part = [&](int64_t i, int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
        const T* a = A + i * sa + r0 * (la.trans ? 1 : la.ld);
        const T* b = B + i * sb + c0 * (lb.trans ? lb.ld : 1);
        gemm_serial<T>(a, la.trans, la.ld, b, lb.trans, lb.ld, C + i * M * N + r0 * N + c0, N,
                       r1 - r0, c1 - c0, K, acc);
      };
      if (batch >= threads) {
        parallel_for(0, batch, 1, [&](int64_t s, int64_t e) {
          for (int64_t i = s; i < e; ++i) part(i, 0, M, 0, N);
        });
      } else if (M < 2 * threads || (4 * M <= N && N >= kColumnBlock * threads)) {
        // every matrix in `per` column blocks, all (matrix, block) pairs on the threads at once
        const int64_t per = std::max<int64_t>(
            1, std::min((threads + batch - 1) / batch, N / kColumnBlock));
        parallel_for(0, batch * per, 1, [&](int64_t u0, int64_t u1) {
          for (int64_t u = u0; u < u1;) {  // the blocks of one matrix in [u0, u1) in one call
            const int64_t i = u / per, end = std::min(u1, (i + 1) * per);
            part(i, 0, M, N * (u - i * per) / per, N * (end - i * per) / per);
            u = end;
          }
        });
      } else {
        for (int64_t i = 0; i < batch; ++i)
          parallel_for(0, M, M / threads, [&](int64_t r0, int64_t r1) { part(i, r0, r1, 0, N); });
      }
      return;
    }
  }
  if constexpr (std::is_floating_point_v<T>) {
    if (!la.trans && std::min({M, N, K}) >= kPanelMinDim && flops < kBlasMinFlops) {
      parallel_for(0, batch, std::max<int64_t>(1, 65536 / flops), [&](int64_t s, int64_t e) {
        for (int64_t i = s; i < e; ++i) {
          Panels<T> P(B + i * sb, lb.ld, lb.trans, K, N);
          step_gemm<T>(A + i * sa, la.ld, P, C + i * M * N, N, M, acc, 0, N);
        }
      });
      return;
    }
  }
  if (batch == 1) {
    eigen_gemm<T>(A, la, B, lb, C, M, N, K, acc);
    return;
  }
  // Many small products: one per thread, each single-threaded.
  parallel_for(0, batch, std::max<int64_t>(1, 65536 / std::max<int64_t>(flops, 1)), [&](int64_t s, int64_t e) {
    for (int64_t i = s; i < e; ++i) eigen_gemm<T>(A + i * sa, la, B + i * sb, lb, C + i * M * N, M, N, K, acc);
  });
}

}  // namespace

template <class T>
void gemm_serial(const T* A, bool trans_a, int64_t lda, const T* B, bool trans_b, int64_t ldb, T* C,
                 int64_t ldc, int64_t M, int64_t N, int64_t K, bool acc) {
  if (M == 0 || N == 0) return;
  if (K == 0) {
    if (!acc)
      for (int64_t i = 0; i < M; ++i) std::fill(C + i * ldc, C + i * ldc + N, T(0));
    return;
  }
  const Blas& b = blas();
  // CBLAS rejects leading dims below a row's length (broadcast operands have stride 0 rows)
  // and then computes nothing; Eigen's strided maps take any stride.
  const bool blas_strides = lda >= std::max<int64_t>(1, trans_a ? M : K) &&
                            ldb >= std::max<int64_t>(1, trans_b ? K : N) &&
                            ldc >= std::max<int64_t>(1, N);
  // a one-row or one-column product is a matrix-vector product: Eigen's reads the matrix
  // once where BLAS's GEMM would first pack all of it
  const bool vector = M == 1 || N == 1;
  if (M * N * K >= int64_t(32) * 32 * 32 && b.sgemm && blas_strides && !vector) {
    const int ta = trans_a ? 112 : 111, tb = trans_b ? 112 : 111;
    if constexpr (std::is_same_v<T, float>) {
      b.sgemm(101, ta, tb, int(M), int(N), int(K), 1.0f, A, int(lda), B, int(ldb), acc ? 1.0f : 0.0f, C, int(ldc));
      return;
    } else {
      b.dgemm(101, ta, tb, int(M), int(N), int(K), 1.0, A, int(lda), B, int(ldb), acc ? 1.0 : 0.0, C, int(ldc));
      return;
    }
  }
  using Stride = Eigen::OuterStride<>;
  Eigen::Map<RowMat<T>, 0, Stride> c(C, M, N, Stride(ldc));
  auto run = [&](const auto& a) {
    if (trans_b) {
      auto bm = Eigen::Map<const ColMat<T>, 0, Stride>(B, K, N, Stride(ldb));
      if (acc) c.noalias() += a * bm;
      else c.noalias() = a * bm;
    } else {
      auto bm = Eigen::Map<const RowMat<T>, 0, Stride>(B, K, N, Stride(ldb));
      if (acc) c.noalias() += a * bm;
      else c.noalias() = a * bm;
    }
  };
  if (trans_a) run(Eigen::Map<const ColMat<T>, 0, Stride>(A, M, K, Stride(lda)));
  else run(Eigen::Map<const RowMat<T>, 0, Stride>(A, M, K, Stride(lda)));
}

template void gemm_serial<float>(const float*, bool, int64_t, const float*, bool, int64_t, float*, int64_t,
                                 int64_t, int64_t, int64_t, bool);
template void gemm_serial<double>(const double*, bool, int64_t, const double*, bool, int64_t, double*,
                                  int64_t, int64_t, int64_t, int64_t, bool);

void bmm(const Tensor& a, const Tensor& b, const Tensor& out, bool accumulate) {
  dispatch_numeric(a.dtype(), "matmul", [&](auto tag) {
    using T = typename decltype(tag)::type;
    bmm_typed<T>(a, b, out, accumulate);
  });
}

bool load_blas(const std::string& path) {
  void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) return false;
  auto find = [h](const char* a, const char* b) {
    void* s = dlsym(h, a);
    return s ? s : dlsym(h, b);
  };
  auto sg = reinterpret_cast<SgemmFn>(find("scipy_cblas_sgemm", "cblas_sgemm"));
  auto dg = reinterpret_cast<DgemmFn>(find("scipy_cblas_dgemm", "cblas_dgemm"));
  if (!sg || !dg) return false;
  Blas& b = blas();
  b.sgemm = sg;
  b.dgemm = dg;
  b.set_threads = reinterpret_cast<SetThreadsFn>(
      find("scipy_openblas_set_num_threads", "openblas_set_num_threads"));
  b.name = path;
  if (b.set_threads) b.set_threads(1);  // glia's own threads call it (see bmm_typed)
  return true;
}

std::string blas_name() { return blas().name; }

void set_num_threads(int n) {
  n = std::max(1, n);
  thread_count() = n;
  omp_set_num_threads(n);
}

int get_num_threads() { return thread_count(); }

}  // namespace glia::cpu
