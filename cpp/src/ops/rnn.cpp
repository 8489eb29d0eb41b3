// Recurrent layers (RNN, LSTM, GRU) as fused ops: a whole sequence through one layer and
// direction in one call, with a backward that walks the sequence once.
#include "cpu/rnn.h"

#include <algorithm>

#include "check.h"
#include "dispatch.h"
#include "glia/autograd.h"
#include "glia/nn/functional.h"
#include "glia/nn/rnn.h"
#include "glia/ops.h"
#include "ops/operands.h"

namespace glia::nn {

int64_t rnn_gate_count(RnnMode mode) {
  switch (mode) {
    case RnnMode::Lstm: return 4;
    case RnnMode::Gru: return 3;
    default: return 1;
  }
}

RnnMode rnn_mode_from(const std::string& name) {
  if (name == "rnn_tanh") return RnnMode::Tanh;
  if (name == "rnn_relu") return RnnMode::Relu;
  if (name == "lstm") return RnnMode::Lstm;
  if (name == "gru") return RnnMode::Gru;
  throw ShapeError("rnn_layer: mode must be 'rnn_tanh', 'rnn_relu', 'lstm' or 'gru', got '" + name +
                   "'");
}

namespace {

const char* mode_name(RnnMode mode) {
  switch (mode) {
    case RnnMode::Tanh: return "rnn_tanh";
    case RnnMode::Relu: return "rnn_relu";
    case RnnMode::Lstm: return "lstm";
    case RnnMode::Gru: return "gru";
  }
  return "rnn";
}

// Reads and validates per-sequence lengths; empty when every sequence is full length.
Tensor checked_lengths(const Tensor& lengths, int64_t T, int64_t B, const char* op) {
  if (!lengths.defined()) return Tensor();
  GLIA_CHECK(lengths.dtype() == DType::Int64, DTypeError, op, ": lengths must be int64, got ",
             lengths.dtype());
  GLIA_CHECK(lengths.shape() == Shape{B}, ShapeError, op, ": lengths must have shape ", Shape{B},
             " (one per batch element), got ", lengths.shape());
  Tensor len = contiguous(detach(lengths));
  const int64_t* l = len.data<int64_t>();
  for (int64_t b = 0; b < B; ++b)
    GLIA_CHECK(l[b] >= 0 && l[b] <= T, ShapeError, op, ": lengths[", b, "] = ", l[b],
               " is outside [0, ", T, "] (the sequence length)");
  return len;
}

// Copies row block `src_row` of a (R, B, H) contiguous tensor into row `dst_row` of another.
void copy_step(const Tensor& src, int64_t src_row, Tensor& dst, int64_t dst_row) {
  const int64_t n = src.shape()[1] * src.shape()[2];
  dispatch_float(src.dtype(), "rnn_layer", [&](auto tag) {
    using T = typename decltype(tag)::type;
    std::copy(src.data<T>() + src_row * n, src.data<T>() + (src_row + 1) * n,
              dst.data<T>() + dst_row * n);
  });
}

}  // namespace

Tensor rnn_layer(RnnMode mode, const Tensor& x, const Tensor& h0, const Tensor& c0,
                 const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh,
                 const Tensor& lengths, bool reverse) {
  const char* op = mode_name(mode);
  const bool lstm = mode == RnnMode::Lstm, gru = mode == RnnMode::Gru;
  GLIA_CHECK(x.defined() && w_ih.defined() && w_hh.defined(), Error, op,
             ": input, weight_ih and weight_hh must be given");
  GLIA_CHECK(x.dim() == 3, ShapeError, op, ": input must be 3-D (seq, batch, input_size), got shape ",
             x.shape());
  GLIA_CHECK(is_floating(x.dtype()), DTypeError, op, ": expects floating-point input, got ",
             x.dtype());
  const int64_t G = rnn_gate_count(mode);
  const int64_t T = x.shape()[0], B = x.shape()[1], I = x.shape()[2];
  GLIA_CHECK(T > 0, ShapeError, op, ": the sequence length must be at least 1, got input shape ",
             x.shape());
  GLIA_CHECK(w_ih.dim() == 2 && w_ih.shape()[0] % G == 0 && w_ih.shape()[0] > 0, ShapeError, op,
             ": weight_ih must be 2-D with ", G, " * hidden_size rows, got shape ", w_ih.shape());
  const int64_t H = w_ih.shape()[0] / G;
  check_param(w_ih, {G * H, I}, x.dtype(), op, "weight_ih (gates * hidden_size, input_size)");
  check_param(w_hh, {G * H, H}, x.dtype(), op, "weight_hh (gates * hidden_size, hidden_size)");
  check_param(b_ih, {G * H}, x.dtype(), op, "bias_ih");
  check_param(b_hh, {G * H}, x.dtype(), op, "bias_hh");
  check_param(h0, {B, H}, x.dtype(), op, "h0 (batch, hidden_size)");
  GLIA_CHECK(lstm || !c0.defined(), ShapeError, op, ": only LSTM takes a cell state c0");
  check_param(c0, {B, H}, x.dtype(), op, "c0 (batch, hidden_size)");
  Tensor len = checked_lengths(lengths, T, B, op);

  const bool track = any_requires_grad({&x, &h0, &c0, &w_ih, &w_hh, &b_ih, &b_hh});
  NoGradGuard no_grad;  // the work below is not recorded; one node is attached at the end
  const DType dt = x.dtype();
  Tensor x2 = reshape(contiguous(detach(x)), {T * B, I});
  Tensor wih = detach(w_ih), whh = contiguous(detach(w_hh));
  Tensor bih = b_ih.defined() ? detach(b_ih) : Tensor();
  Tensor bhh = b_hh.defined() ? contiguous(detach(b_hh)) : Tensor();
  if (!gru && bhh.defined()) {  // both biases only ever appear summed: add them once
    bih = bih.defined() ? add(bih, bhh) : bhh;
    bhh = Tensor();
  }
  // the input projection of every step in one GEMM; the kernel turns it into gate activations
  Tensor gates = contiguous(linear(x2, wih, bih));
  Tensor hs = Tensor::empty({T + 1, B, H}, dt);
  Tensor cs = lstm ? Tensor::empty({T + 1, B, H}, dt) : Tensor();
  Tensor hn = gru ? Tensor::empty({T, B, H}, dt) : Tensor();
  Tensor y = Tensor::empty({T + (lstm ? 2 : 1), B, H}, dt);
  const int64_t first = reverse ? T : 0, last = reverse ? 0 : T;
  auto init_state = [&](const Tensor& s0, Tensor& buf) {
    Tensor row = select(buf, 0, first);
    if (s0.defined()) row.copy_(s0);
    else row.zero_();
  };
  init_state(h0, hs);
  if (lstm) init_state(c0, cs);
  const cpu::RnnShape shape{mode, T, B, H, G, reverse, len.defined() ? len.data<int64_t>() : nullptr};
  dispatch_float(dt, op, [&](auto tag) {
    using S = typename decltype(tag)::type;
    auto out = [](Tensor& t) { return t.defined() ? t.data<S>() : nullptr; };
    cpu::rnn_forward<S>(shape, whh.data<S>(), ptr_or_null<S>(bhh), gates.data<S>(), hs.data<S>(),
                        out(cs), out(hn), y.data<S>());
  });
  copy_step(hs, last, y, T);
  if (lstm) copy_step(cs, last, y, T + 1);

  if (track) {
    attach_grad_fn(
        y, lstm ? "LstmBackward" : gru ? "GruBackward" : "RnnBackward",
        {x, h0, c0, w_ih, w_hh, b_ih, b_hh},
        [=](const Tensor& g_in, const NeedsGrad& need) {
          NoGradGuard ng;
          Tensor g = contiguous(detach(g_in));
          Tensor dh = Tensor::empty({B, H}, dt), dc = lstm ? Tensor::empty({B, H}, dt) : Tensor();
          copy_step(g, T, dh, 0);
          if (lstm) copy_step(g, T + 1, dc, 0);
          Tensor dgi = Tensor::empty({T * B, G * H}, dt);
          Tensor dgh = gru ? Tensor::empty({T * B, G * H}, dt) : dgi;
          const cpu::RnnShape sh{mode, T, B, H, G, reverse,
                                 len.defined() ? len.data<int64_t>() : nullptr};
          dispatch_float(dt, op, [&](auto tag) {
            using S = typename decltype(tag)::type;
            auto ptr = [](const Tensor& t) { return t.defined() ? t.data<S>() : nullptr; };
            cpu::rnn_backward<S>(sh, whh.data<S>(), gates.data<S>(), hs.data<S>(), ptr(cs),
                                 ptr(hn), g.data<S>(), dh.data<S>(), ptr(dc), dgi.data<S>(),
                                 gru ? dgh.data<S>() : nullptr);
          });
          // weight gradients: one GEMM each over the whole sequence
          Grads grads(7);
          if (need[0]) grads[0] = reshape(mm(dgi, wih), {T, B, I});
          if (need[1]) grads[1] = dh;
          if (need[2]) grads[2] = dc;
          if (need[3]) grads[3] = mm(transpose(dgi, 0, 1), x2);
          if (need[4]) {
            Tensor h_prev = reshape(narrow(hs, 0, reverse ? 1 : 0, T), {T * B, H});
            grads[4] = mm(transpose(dgh, 0, 1), h_prev);
          }
          if (need[5]) grads[5] = sum(dgi, {0});
          if (need[6]) grads[6] = gru || !need[5] ? sum(dgh, {0}) : grads[5];  // equal unless GRU
          return grads;
        },
        {x, w_ih, w_hh}, Backward::Kernel);  // h0 and c0 were copied into hs: never read back
  }
  return y;
}

}  // namespace glia::nn
