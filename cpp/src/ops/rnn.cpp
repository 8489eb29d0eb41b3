// Recurrent layers (RNN, LSTM, GRU) as fused ops: a whole sequence through one layer, both
// directions at once, in one call, with a backward that walks the sequence once.
#include "cpu/rnn.h"

#include <algorithm>

#include "check.h"
#include "cpu/linalg.h"
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
  // A copy: the backward reads the lengths again, after the caller may have changed theirs.
  Tensor len = clone(detach(lengths));
  const int64_t* l = len.data<int64_t>();
  for (int64_t b = 0; b < B; ++b)
    GLIA_CHECK(l[b] >= 0 && l[b] <= T, ShapeError, op, ": lengths[", b, "] = ", l[b],
               " is outside [0, ", T, "] (the sequence length)");
  return len;
}

}  // namespace

Tensor rnn_layer(RnnMode mode, const Tensor& x, const Tensor& h0, const Tensor& c0,
                 const std::vector<RnnParams>& params, const Tensor& lengths,
                 const Tensor& first_hh) {
  const char* op = mode_name(mode);
  const bool lstm = mode == RnnMode::Lstm, gru = mode == RnnMode::Gru;
  const int64_t D = int64_t(params.size());
  GLIA_CHECK(D == 1 || D == 2, ShapeError, op,
             ": takes the parameters of 1 or 2 directions, got ", D);
  GLIA_CHECK(x.defined(), Error, op, ": input must be given");
  for (const RnnParams& p : params)
    GLIA_CHECK(p.w_ih.defined() && p.w_hh.defined(), Error, op,
               ": weight_ih and weight_hh must be given");
  GLIA_CHECK(x.dim() == 3, ShapeError, op, ": input must be 3-D (seq, batch, input_size), got shape ",
             x.shape());
  GLIA_CHECK(is_floating(x.dtype()), DTypeError, op, ": expects floating-point input, got ",
             x.dtype());
  const int64_t G = rnn_gate_count(mode);
  const int64_t T = x.shape()[0], B = x.shape()[1], I = x.shape()[2];
  GLIA_CHECK(T > 0, ShapeError, op, ": the sequence length must be at least 1, got input shape ",
             x.shape());
  const Tensor& w0 = params[0].w_ih;
  GLIA_CHECK(w0.dim() == 2 && w0.shape()[0] % G == 0 && w0.shape()[0] > 0, ShapeError, op,
             ": weight_ih must be 2-D with ", G, " * hidden_size rows, got shape ", w0.shape());
  const int64_t H = w0.shape()[0] / G;
  for (const RnnParams& p : params) {
    check_param(p.w_ih, {G * H, I}, x.dtype(), op, "weight_ih (gates * hidden_size, input_size)");
    check_param(p.w_hh, {G * H, H}, x.dtype(), op, "weight_hh (gates * hidden_size, hidden_size)");
    check_param(p.b_ih, {G * H}, x.dtype(), op, "bias_ih");
    check_param(p.b_hh, {G * H}, x.dtype(), op, "bias_hh");
  }
  check_param(h0, {D, B, H}, x.dtype(), op, "h0 (directions, batch, hidden_size)");
  GLIA_CHECK(lstm || !c0.defined(), ShapeError, op, ": only LSTM takes a cell state c0");
  check_param(c0, {D, B, H}, x.dtype(), op, "c0 (directions, batch, hidden_size)");
  GLIA_CHECK(!(h0.defined() && first_hh.defined()), ShapeError, op,
             ": takes h0 or first_hh, not both");
  // GRU's update reads h_prev itself, not only through W_hh: a product alone cannot stand in
  GLIA_CHECK(!(gru && first_hh.defined()), ShapeError, op,
             ": takes no first_hh (its update reads h0 itself): pass h0");
  check_param(first_hh, {D, B, G * H}, x.dtype(), op,
              "first_hh (directions, batch, gates * hidden_size)");
  Tensor len = checked_lengths(lengths, T, B, op);

  std::vector<Tensor> inputs = {x, h0, c0}, saved = {x};  // of the graph node
  for (const RnnParams& p : params) {
    inputs.insert(inputs.end(), {p.w_ih, p.w_hh, p.b_ih, p.b_hh});
    saved.insert(saved.end(), {p.w_ih, p.w_hh});
  }
  inputs.push_back(first_hh);
  const bool track = any_requires_grad(inputs);
  NoGradGuard no_grad;  // the work below is not recorded; one node is attached at the end
  const DType dt = x.dtype();
  Tensor x2 = reshape(contiguous(detach(x)), {T * B, I});
  // Per direction: the operands the kernels read and the buffers they fill.
  std::vector<Tensor> wih(D), whh(D), bx(D), bhh(D), gates(D), hs(D), cs(D), aux(D), hh0(D);
  for (int64_t d = 0; d < D; ++d) {
    wih[d] = kernel_operand(params[d].w_ih);
    whh[d] = kernel_operand(params[d].w_hh);
    bx[d] = kernel_operand(params[d].b_ih);
    bhh[d] = kernel_operand(params[d].b_hh);
    if (!gru && bhh[d].defined()) {  // both biases only ever appear summed: add them once
      bx[d] = bx[d].defined() ? add(bx[d], bhh[d]) : bhh[d];
      bhh[d] = Tensor();
    }
    // A single step (a cell) multiplies by the weights once: the matmul path, which does not
    // repack them for few rows, beats laying them out in the kernels' panels first. Longer
    // sequences have the input projection of every step in one product on such panels.
    gates[d] = T == 1 ? contiguous(linear(x2, wih[d], Tensor())) : Tensor::empty({T * B, G * H}, dt);
    // each sequence's first recurrent product: h0's, or given; undefined for a zero h0
    if (h0.defined()) hh0[d] = contiguous(linear(detach(select(h0, 0, d)), whh[d], Tensor()));
    else if (first_hh.defined()) hh0[d] = contiguous(detach(select(first_hh, 0, d)));
    hs[d] = Tensor::empty({T + 1, B, H}, dt);
    if (lstm) cs[d] = Tensor::empty({T + 1, B, H}, dt);
    if (gru || lstm) aux[d] = Tensor::empty({T, B, H}, dt);
    const int64_t first = d == 1 ? T : 0;  // where the initial state goes
    auto init_state = [&](const Tensor& s0, Tensor& buf) {
      Tensor row = select(buf, 0, first);
      if (s0.defined()) row.copy_(select(s0, 0, d));
      else row.zero_();
    };
    init_state(h0, hs[d]);
    if (lstm) init_state(c0, cs[d]);
  }
  Tensor y = Tensor::empty({T + (lstm ? 2 : 1), B, D * H}, dt);
  const bool zero_h0 = !h0.defined();
  const cpu::RnnShape shape{mode, T, B, H, G, D, len.defined() ? len.data<int64_t>() : nullptr};
  dispatch_float(dt, op, [&](auto tag) {
    using S = typename decltype(tag)::type;
    std::vector<cpu::RnnDirection<S>> dirs;
    for (int64_t d = 0; d < D; ++d) {
      // x W_ih^T; the kernel adds the biases and turns it into gate activations
      if (T > 1)
        cpu::input_projection<S>(x2.data<S>(), T * B, I, wih[d].data<S>(), G * H,
                                 gates[d].data<S>());
      dirs.push_back({whh[d].data<S>(), ptr_or_null<S>(bx[d]), ptr_or_null<S>(bhh[d]),
                      gates[d].data<S>(), hs[d].data<S>(), mutable_ptr_or_null<S>(cs[d]),
                      mutable_ptr_or_null<S>(aux[d])});
      dirs.back().hh0 = ptr_or_null<S>(hh0[d]);
    }
    cpu::rnn_forward<S>(shape, dirs.data(), y.data<S>());
  });
  for (int64_t d = 0; d < D; ++d) {  // the final states: step T-1 forward, step 0 in reverse
    const int64_t last = d == 1 ? 0 : T;
    narrow(select(y, 0, T), 1, d * H, H).copy_(select(hs[d], 0, last));
    if (lstm) narrow(select(y, 0, T + 1), 1, d * H, H).copy_(select(cs[d], 0, last));
  }

  if (track) {
    attach_grad_fn(
        y, lstm ? "LstmBackward" : gru ? "GruBackward" : "RnnBackward", inputs,
        [=](const Tensor& g_in, const NeedsGrad& need) {
          NoGradGuard ng;
          Tensor g = contiguous(detach(g_in));
          // per direction: the final-state gradients (the kernel turns them into the initial
          // ones) and the pre-activation gradients
          std::vector<Tensor> dh(D), dc(D), dgi(D), dgh(D), dbi(D), dbh(D);
          for (int64_t d = 0; d < D; ++d) {
            dh[d] = clone(narrow(select(g, 0, T), 1, d * H, H));
            if (lstm) dc[d] = clone(narrow(select(g, 0, T + 1), 1, d * H, H));
            dgi[d] = Tensor::empty({T * B, G * H}, dt);
            dgh[d] = gru ? Tensor::empty({T * B, G * H}, dt) : dgi[d];
            // the bias gradients (equal but for GRU), summed only when wanted
            const size_t b_ih = 5 + 4 * d, b_hh = b_ih + 1;  // in the node's inputs
            if (need[b_ih] || (!gru && need[b_hh])) dbi[d] = Tensor::empty({G * H}, dt);
            if (gru && need[b_hh]) dbh[d] = Tensor::empty({G * H}, dt);
          }
          const cpu::RnnShape sh{mode, T, B, H, G, D, len.defined() ? len.data<int64_t>() : nullptr};
          dispatch_float(dt, op, [&](auto tag) {
            using S = typename decltype(tag)::type;
            std::vector<cpu::RnnDirection<S>> dirs;
            for (int64_t d = 0; d < D; ++d) {
              cpu::RnnDirection<S> r{whh[d].data<S>(), nullptr, nullptr, gates[d].data<S>(),
                                     hs[d].data<S>(), mutable_ptr_or_null<S>(cs[d]),
                                     mutable_ptr_or_null<S>(aux[d])};
              r.dh = dh[d].data<S>();
              r.dc = mutable_ptr_or_null<S>(dc[d]);
              r.dgi = dgi[d].data<S>();
              r.dgh = gru ? dgh[d].data<S>() : nullptr;
              r.dbi = mutable_ptr_or_null<S>(dbi[d]);
              r.dbh = mutable_ptr_or_null<S>(dbh[d]);
              dirs.push_back(r);
            }
            cpu::rnn_backward<S>(sh, dirs.data(), g.data<S>());
          });
          // dh0 += dG W_hh of the first step (the last one in reverse); padded rows have dG = 0
          for (int64_t d = 0; d < D && need[1]; ++d)
            cpu::bmm(unsqueeze(narrow(dgh[d], 0, (d == 1 ? T - 1 : 0) * B, B), 0),
                     unsqueeze(whh[d], 0), unsqueeze(dh[d], 0), true);
          // input and weight gradients: GEMMs over the whole sequence
          Grads grads(4 + 4 * D);
          Tensor gx = need[0] ? Tensor::empty({1, T * B, I}, dt) : Tensor();
          for (int64_t d = 0; d < D; ++d) {
            // the second direction's product accumulates into the first's
            if (need[0]) cpu::bmm(unsqueeze(dgi[d], 0), unsqueeze(wih[d], 0), gx, d > 0);
            const size_t k = 3 + 4 * d;
            if (!gru && need[k] && need[k + 1]) {
              // both weight gradients multiply dG^T (GRU's differ): one GEMM against
              // [x | h_prev] reads dG once. h_prev of step t is hs[t], or hs[t + 1] in reverse.
              Tensor h_prev = reshape(narrow(hs[d], 0, d == 1 ? 1 : 0, T), {T * B, H});
              Tensor dw = mm(transpose(dgi[d], 0, 1), cat({x2, h_prev}, 1));
              grads[k] = contiguous(narrow(dw, 1, 0, I));
              grads[k + 1] = contiguous(narrow(dw, 1, I, H));
            } else {
              if (need[k]) grads[k] = mm(transpose(dgi[d], 0, 1), x2);
              if (need[k + 1]) {
                // with zero h0 the first step adds nothing: the states before the other steps
                // are hs[1..T-1] in both directions
                const int64_t skip = zero_h0 ? 1 : 0, from = d == 1 ? 1 : skip;
                Tensor h_prev = reshape(narrow(hs[d], 0, from, T - skip), {(T - skip) * B, H});
                Tensor dg = narrow(dgh[d], 0, d == 1 ? 0 : skip * B, (T - skip) * B);
                grads[k + 1] = mm(transpose(dg, 0, 1), h_prev);
              }
            }
            if (need[k + 2]) grads[k + 2] = dbi[d];
            if (need[k + 3]) grads[k + 3] = gru ? dbh[d] : dbi[d];  // equal, except GRU's
          }
          if (need[0]) grads[0] = reshape(gx, {T, B, I});
          if (need[1]) grads[1] = stack(dh, 0);
          if (need[2]) grads[2] = stack(dc, 0);
          if (need[3 + 4 * D]) {  // first_hh: the hidden-side dG at each sequence's first step
            std::vector<Tensor> firsts(D);
            for (int64_t d = 0; d < D; ++d) {
              Tensor rows = Tensor::empty({B}, DType::Int64);
              for (int64_t b = 0; b < B; ++b) {  // an empty sequence's step 0 has dG = 0
                const int64_t L = len.defined() ? len.data<int64_t>()[b] : T;
                rows.data<int64_t>()[b] = (d == 1 ? std::max<int64_t>(L - 1, 0) : 0) * B + b;
              }
              firsts[d] = index_select(dgh[d], 0, rows);
            }
            grads[3 + 4 * D] = stack(firsts, 0);
          }
          return grads;
        },
        saved, Backward::Kernel);  // h0, c0 and first_hh were copied: never read back
  }
  return y;
}

}  // namespace glia::nn
