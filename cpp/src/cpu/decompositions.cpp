#include "cpu/decompositions.h"

#include <Eigen/Cholesky>
#include <Eigen/Dense>
#include <Eigen/Eigenvalues>
#include <Eigen/QR>
#include <Eigen/SVD>
#include <cmath>
#include <limits>

#include "dispatch.h"

namespace glia::cpu {
namespace {

template <class T>
using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using MapC = Eigen::Map<const Mat<T>>;
template <class T>
using MapM = Eigen::Map<Mat<T>>;
template <class T>
using Vec = Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, 1>>;

// LU of each matrix is independent; batches run serially (the matrices here are small and
// Eigen's kernels are fast per matrix), in order, so the first failure is well defined.
template <class F>
void each_matrix(DType d, const char* op, int64_t batch, const F& f) {
  dispatch_float(d, op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    for (int64_t b = 0; b < batch; ++b) f(b, T{});
  });
}

}  // namespace

void det(const Tensor& a, int64_t batch, int64_t n, const Tensor& out) {
  each_matrix(a.dtype(), "linalg.det", batch, [&](int64_t b, auto zero) {
    using T = decltype(zero);
    MapC<T> A(a.data<T>() + b * n * n, n, n);
    out.data<T>()[b] = n == 0 ? T(1) : Eigen::PartialPivLU<Mat<T>>(A).determinant();
  });
}

void slogdet(const Tensor& a, int64_t batch, int64_t n, const Tensor& sign, const Tensor& logabs) {
  each_matrix(a.dtype(), "linalg.slogdet", batch, [&](int64_t b, auto zero) {
    using T = decltype(zero);
    T s = 1, l = 0;
    if (n > 0) {
      Eigen::PartialPivLU<Mat<T>> lu(MapC<T>(a.data<T>() + b * n * n, n, n));
      const Mat<T>& LU = lu.matrixLU();
      s = T(lu.permutationP().determinant());
      for (int64_t i = 0; i < n; ++i) {
        const T u = LU(i, i);
        if (u == T(0)) {
          s = 0;
          l = -std::numeric_limits<T>::infinity();
          break;
        }
        if (u < 0) s = -s;
        l += std::log(std::abs(u));
      }
    }
    sign.data<T>()[b] = s;
    logabs.data<T>()[b] = l;
  });
}

int64_t solve(const Tensor& a, const Tensor& bm, int64_t batch, int64_t n, int64_t k,
              const Tensor& x) {
  int64_t singular = -1;
  each_matrix(a.dtype(), "linalg.solve", batch, [&](int64_t b, auto zero) {
    using T = decltype(zero);
    if (singular >= 0 || n == 0) return;
    Eigen::PartialPivLU<Mat<T>> lu(MapC<T>(a.data<T>() + b * n * n, n, n));
    const auto diag = lu.matrixLU().diagonal();
    for (int64_t i = 0; i < n; ++i)
      if (diag(i) == T(0)) {  // a non-finite input is not singular: its NaN propagates
        singular = b;
        return;
      }
    MapM<T>(x.data<T>() + b * n * k, n, k) = lu.solve(MapC<T>(bm.data<T>() + b * n * k, n, k));
  });
  return singular;
}

int64_t cholesky(const Tensor& a, int64_t batch, int64_t n, const Tensor& l, int64_t* order) {
  int64_t failed = -1;
  each_matrix(a.dtype(), "linalg.cholesky", batch, [&](int64_t b, auto zero) {
    using T = decltype(zero);
    if (failed >= 0) return;
    MapC<T> A(a.data<T>() + b * n * n, n, n);
    MapM<T> L(l.data<T>() + b * n * n, n, n);
    L.setZero();
    // column by column, so the failing leading minor can be named (as LAPACK's info)
    for (int64_t j = 0; j < n; ++j) {
      T d = A(j, j) - L.row(j).head(j).squaredNorm();
      if (!(d > T(0))) {
        failed = b;
        *order = j + 1;
        return;
      }
      L(j, j) = std::sqrt(d);
      for (int64_t i = j + 1; i < n; ++i)
        L(i, j) = (A(i, j) - L.row(i).head(j).dot(L.row(j).head(j))) / L(j, j);
    }
  });
  return failed;
}

void eigh(const Tensor& a, int64_t batch, int64_t n, const Tensor& values, const Tensor& vectors) {
  const bool want_vectors = vectors.defined();
  each_matrix(a.dtype(), "linalg.eigh", batch, [&](int64_t b, auto zero) {
    using T = decltype(zero);
    if (n == 0) return;
    Mat<T> A = MapC<T>(a.data<T>() + b * n * n, n, n);
    Eigen::SelfAdjointEigenSolver<Mat<T>> es(
        A, want_vectors ? Eigen::ComputeEigenvectors : Eigen::EigenvaluesOnly);
    GLIA_CHECK(es.info() == Eigen::Success, Error, "linalg.eigh: the algorithm failed to "
               "converge (the input has non-finite values or is ill-conditioned)");
    Vec<T>(values.data<T>() + b * n, n) = es.eigenvalues();
    if (want_vectors) MapM<T>(vectors.data<T>() + b * n * n, n, n) = es.eigenvectors();
  });
}

void svd(const Tensor& a, int64_t batch, int64_t m, int64_t n, bool full, const Tensor& u,
         const Tensor& s, const Tensor& vh) {
  const int64_t k = std::min(m, n);
  const bool vectors = u.defined();
  const int64_t ucols = full ? m : k, vrows = full ? n : k;
  each_matrix(a.dtype(), "linalg.svd", batch, [&](int64_t b, auto zero) {
    using T = decltype(zero);
    if (m == 0 || n == 0) {
      if (vectors) {  // the orthogonal factors of an empty matrix: identities where square
        MapM<T>(u.data<T>() + b * m * ucols, m, ucols).setIdentity();
        MapM<T>(vh.data<T>() + b * vrows * n, vrows, n).setIdentity();
      }
      return;
    }
    MapC<T> A(a.data<T>() + b * m * n, m, n);
    unsigned opts = !vectors ? 0u
                    : full   ? unsigned(Eigen::ComputeFullU | Eigen::ComputeFullV)
                             : unsigned(Eigen::ComputeThinU | Eigen::ComputeThinV);
    GLIA_CHECK(A.allFinite(), Error, "linalg.svd: the input matrix contains non-finite values");
    Eigen::BDCSVD<Mat<T>> dec(A, opts);
    GLIA_CHECK(dec.info() == Eigen::Success, Error, "linalg.svd: the algorithm failed to converge");
    Vec<T>(s.data<T>() + b * k, k) = dec.singularValues();
    if (vectors) {
      MapM<T>(u.data<T>() + b * m * ucols, m, ucols) = dec.matrixU();
      MapM<T>(vh.data<T>() + b * vrows * n, vrows, n) = dec.matrixV().transpose();
    }
  });
}

void qr(const Tensor& a, int64_t batch, int64_t m, int64_t n, bool complete, const Tensor& q,
        const Tensor& r) {
  const int64_t k = std::min(m, n), qcols = complete ? m : k, rrows = complete ? m : k;
  each_matrix(a.dtype(), "linalg.qr", batch, [&](int64_t b, auto zero) {
    using T = decltype(zero);
    MapM<T> Q(q.data<T>() + b * m * qcols, m, qcols);
    MapM<T> R(r.data<T>() + b * rrows * n, rrows, n);
    if (m == 0 || n == 0) {
      Q.setIdentity();
      R.setZero();
      return;
    }
    Eigen::HouseholderQR<Mat<T>> dec(MapC<T>(a.data<T>() + b * m * n, m, n));
    Q = dec.householderQ() * Mat<T>::Identity(m, qcols);
    R = dec.matrixQR().topRows(rrows).template triangularView<Eigen::Upper>();
  });
}

}  // namespace glia::cpu
