#pragma once
// Reverse-mode autograd over the dynamic graph. Each differentiable op attaches one
// Node to its output; a Node maps the output's gradient to its inputs' gradients.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "glia/tensor.h"

namespace glia {

using Grads = std::vector<Tensor>;
using NeedsGrad = std::vector<bool>;
// Given the output gradient and which inputs need a gradient, returns one gradient per
// input (undefined where not needed). Built from ops, so it is itself differentiable.
using BackwardFn = std::function<Grads(const Tensor& grad, const NeedsGrad& needs)>;

struct Edge {
  std::shared_ptr<Node> node;  // null: the input needs no gradient
};

class Node : public std::enable_shared_from_this<Node> {
 public:
  Node(std::string name, std::vector<Edge> next, BackwardFn fn, std::vector<Tensor> saved,
       bool differentiable = true);
  virtual ~Node() = default;
  const std::string& name() const { return name_; }
  const std::vector<Edge>& next() const { return next_; }
  // Runs the backward; throws if the graph was freed or a saved tensor was modified.
  virtual Grads apply(const Tensor& grad);
  // Frees saved tensors (called after use unless retain_graph).
  virtual void release();
  std::vector<TensorHook>& hooks() { return hooks_; }
  // Set when the output tensor asked to keep its .grad (retain_grad on a non-leaf).
  std::weak_ptr<TensorImpl> retained;

 protected:
  std::string name_;
  std::vector<Edge> next_;
  BackwardFn fn_;
  std::vector<std::shared_ptr<Storage>> saved_storages_;
  std::vector<uint64_t> saved_versions_;
  bool released_ = false;
  bool differentiable_ = true;
  std::vector<TensorHook> hooks_;
};

// Writes incoming gradients into a leaf's .grad (running the leaf's hooks first).
class AccumulateGrad : public Node {
 public:
  explicit AccumulateGrad(std::weak_ptr<TensorImpl> leaf);
  Grads apply(const Tensor& grad) override;
  void release() override {}
  std::shared_ptr<TensorImpl> leaf() const { return leaf_.lock(); }

 private:
  std::weak_ptr<TensorImpl> leaf_;
};

bool grad_enabled();
void set_grad_enabled(bool enabled);

// Turns gradient tracking off for its lifetime.
class NoGradGuard {
 public:
  NoGradGuard() : prev_(grad_enabled()) { set_grad_enabled(false); }
  ~NoGradGuard() { set_grad_enabled(prev_); }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool prev_;
};

class EnableGradGuard {
 public:
  EnableGradGuard() : prev_(grad_enabled()) { set_grad_enabled(true); }
  ~EnableGradGuard() { set_grad_enabled(prev_); }
  EnableGradGuard(const EnableGradGuard&) = delete;
  EnableGradGuard& operator=(const EnableGradGuard&) = delete;

 private:
  bool prev_;
};

// True when grad mode is on and any of the tensors requires grad.
bool any_requires_grad(std::initializer_list<const Tensor*> inputs);
bool any_requires_grad(const std::vector<Tensor>& inputs);

// Whether a backward is built from differentiable ops (so create_graph=True gives second
// derivatives) or runs a fused kernel (whose gradient has no graph of its own).
enum class Backward { Differentiable, Kernel };

// `hook` wrapped to check that its result keeps the shape and dtype of `out`, a graph
// output: the backward of out's node reads the gradient as such.
TensorHook output_hook(TensorHook hook, const Tensor& out);

// Connects `out` to `inputs` through a new Node. `saved` lists the tensors the backward
// reads, so their in-place modification is caught. A Kernel backward refuses to run under
// create_graph=True rather than return second derivatives that silently miss this op.
void attach_grad_fn(Tensor& out, const char* name, const std::vector<Tensor>& inputs,
                    BackwardFn fn, const std::vector<Tensor>& saved = {},
                    Backward kind = Backward::Differentiable);

// Inside a backward: gives back an op's saved output (stored detached, to avoid a
// reference cycle) reconnected to the running node when create_graph is on, so formulas
// written in terms of the output stay differentiable.
Tensor saved_output(const Tensor& detached_output);

// d(outputs)/d(inputs) weighted by grad_outputs, without touching .grad.
std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs = {}, bool retain_graph = false,
                         bool create_graph = false, bool allow_unused = false);

// Runs backward from `outputs`, accumulating into the .grad of leaves.
void backward(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs = {},
              bool retain_graph = false, bool create_graph = false);

}  // namespace glia
