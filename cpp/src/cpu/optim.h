#pragma once
// Per-parameter optimizer kernels on contiguous float buffers of n elements. Hyper-
// parameters arrive already combined for this step (bias corrections etc.).
#include <cstdint>

#include "glia/optim.h"

namespace glia::cpu {

template <class T>
void sgd_update(T* p, const T* g, T* buf, int64_t n, const optim::SGDOptions& o, bool first);
template <class T>
void adam_update(T* p, const T* g, T* m, T* v, T* vmax, int64_t n, const optim::AdamOptions& o,
                 int64_t step);
template <class T>
void adagrad_update(T* p, const T* g, T* sum, int64_t n, const optim::AdagradOptions& o,
                    int64_t step);
template <class T>
void rmsprop_update(T* p, const T* g, T* sq, T* gavg, T* buf, int64_t n,
                    const optim::RMSpropOptions& o);
template <class T>
void adadelta_update(T* p, const T* g, T* sq, T* acc, int64_t n, const optim::AdadeltaOptions& o);
template <class T>
void nadam_update(T* p, const T* g, T* m, T* v, int64_t n, const optim::NAdamOptions& o,
                  int64_t step, double mu, double mu_next, double mu_product);
template <class T>
void adamax_update(T* p, const T* g, T* m, T* u, int64_t n, const optim::AdamaxOptions& o,
                   int64_t step);
template <class T>
void radam_update(T* p, const T* g, T* m, T* v, int64_t n, const optim::RAdamOptions& o,
                  int64_t step);
template <class T>
void asgd_update(T* p, const T* g, T* ax, int64_t n, const optim::ASGDOptions& o, double eta,
                 double mu);
// batches x rows x cols (1 x 1 x n for a vector, whose second moment is `variance`)
template <class T>
void adafactor_update(T* p, const T* g, T* row_var, T* col_var, T* variance, int64_t batches,
                      int64_t rows, int64_t cols, const optim::AdafactorOptions& o, int64_t step);
template <class T>
void rprop_update(T* p, const T* g, T* prev, T* step_size, int64_t n, const optim::RpropOptions& o);

}  // namespace glia::cpu
