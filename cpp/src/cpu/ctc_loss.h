#pragma once
// Connectionist temporal classification (Graves et al. 2006): the negative log-likelihood of
// a label sequence summed over every alignment of it to the input frames, by the
// forward-backward recursions over the extended labels (a blank before, between and after
// the labels), in log space.
#include <cstdint>

namespace glia::cpu {

// The batch as the kernels read it. log_probs (T, N, C) contiguous; sample n's labels are
// targets[offsets[n] .. offsets[n] + target_lengths[n]), its frames the first
// input_lengths[n]. alpha (N, T, 2 * max_target + 1): filled by the forward, read by the
// backward.
struct CtcBatch {
  int64_t T, N, C, blank, max_target;
  const int64_t *targets, *offsets, *input_lengths, *target_lengths;
};

// loss[n] = -log p(labels_n | frames_n): +inf when no alignment exists (more labels, with the
// blanks that separate repeats, than frames).
template <class T>
void ctc_loss_forward(const CtcBatch& b, const T* log_probs, T* alpha, T* loss);

// grad (T, N, C) = scale[n] * d loss[n] / d log_probs: minus the posterior occupancy of each
// class at each frame; zero for the frames past a sample's length and for samples whose
// scale is zero.
template <class T>
void ctc_loss_backward(const CtcBatch& b, const T* log_probs, const T* alpha, const T* loss,
                       const T* scale, T* grad);

}  // namespace glia::cpu
