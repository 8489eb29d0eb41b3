// The autograd engine: graph nodes, grad mode, and the reverse walk.
#include "glia/autograd.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "check.h"
#include "glia/ops.h"

namespace glia {

namespace {
thread_local bool t_grad_enabled = true;
thread_local Node* t_current_node = nullptr;

// A hook may replace a gradient but not change its shape or dtype: backwards (fused
// kernels above all) read it as the output's shape and element type.
void check_hook_result(const Tensor& r, const Shape& shape, DType dtype, const std::string& where) {
  GLIA_CHECK(r.shape() == shape, ShapeError, "backward: a hook on the gradient of ", where,
             " changed its shape from ", shape, " to ", r.shape());
  GLIA_CHECK(r.dtype() == dtype, DTypeError, "backward: a hook on the gradient of ", where,
             " changed its dtype from ", dtype, " to ", r.dtype());
}
}  // namespace

TensorHook output_hook(TensorHook hook, const Tensor& out) {
  return [hook = std::move(hook), shape = out.shape(), dtype = out.dtype(),
          where = "the output of " + out.grad_fn()->name()](const Tensor& g) {
    Tensor r = hook(g);
    if (r.defined()) check_hook_result(r, shape, dtype, where);
    return r;
  };
}

bool grad_enabled() { return t_grad_enabled; }
void set_grad_enabled(bool enabled) { t_grad_enabled = enabled; }

Node::Node(std::string name, std::vector<Edge> next, BackwardFn fn, std::vector<Tensor> saved,
           bool differentiable)
    : name_(std::move(name)), next_(std::move(next)), fn_(std::move(fn)),
      differentiable_(differentiable) {
  for (const Tensor& t : saved) {
    if (!t.defined()) continue;
    saved_storages_.push_back(t.storage());
    saved_versions_.push_back(t.storage()->version);
  }
}

Grads Node::apply(const Tensor& grad) {
  GLIA_CHECK(!released_, Error, "backward: ", name_,
             " was already freed by an earlier backward; call backward(retain_graph=True) the "
             "first time to backward through the graph twice");
  for (size_t i = 0; i < saved_storages_.size(); ++i)
    GLIA_CHECK(saved_storages_[i]->version == saved_versions_[i], Error, "backward: a tensor saved by ",
               name_, " was modified by an in-place operation (version ",
               saved_storages_[i]->version, ", expected ", saved_versions_[i], ")");
  GLIA_CHECK(differentiable_ || !grad_enabled(), Error, "backward: ", name_,
             " computes its gradient with a fused kernel, so it has no double backward "
             "(create_graph=True); compose the op from differentiable ops for higher derivatives");
  NeedsGrad needs(next_.size());
  for (size_t i = 0; i < next_.size(); ++i) needs[i] = next_[i].node != nullptr;
  Node* prev = t_current_node;
  t_current_node = this;
  try {
    Grads r = fn_(grad, needs);
    t_current_node = prev;
    return r;
  } catch (...) {
    t_current_node = prev;
    throw;
  }
}

Tensor saved_output(const Tensor& out) {
  if (!grad_enabled() || !t_current_node) return out;
  Tensor t = Tensor::make(out.storage(), out.shape(), out.strides(), out.offset(), out.dtype());
  t.impl()->grad_fn = t_current_node->shared_from_this();
  t.impl()->requires_grad = true;
  return t;
}

void Node::release() {
  fn_ = nullptr;
  saved_storages_.clear();
  saved_versions_.clear();
  released_ = true;
}

AccumulateGrad::AccumulateGrad(std::weak_ptr<TensorImpl> leaf)
    : Node("AccumulateGrad", {}, nullptr, {}), leaf_(std::move(leaf)) {}

Grads AccumulateGrad::apply(const Tensor& grad) {
  auto leaf = leaf_.lock();
  if (!leaf) return {};
  Tensor self(leaf);
  Tensor g = grad;
  for (auto& hook : leaf->hooks) {
    Tensor r = hook(g);
    if (r.defined()) {
      check_hook_result(r, g.shape(), g.dtype(), "a leaf");
      g = r;
    }
  }
  GLIA_CHECK(g.shape() == self.shape(), ShapeError, "backward: the gradient of a leaf of shape ",
             self.shape(), " has shape ", g.shape(), " (was its .data replaced after the forward?)");
  if (!leaf->grad) {
    // Keep the gradient only if nothing else can see its memory; otherwise copy it.
    bool exclusive = g.is_contiguous() && g.storage().use_count() == 1 && g.dtype() == self.dtype();
    self.set_grad(grad_enabled() ? (exclusive ? g : g.to(self.dtype()).clone())
                                 : (exclusive ? g.detach() : g.detach().to(self.dtype()).clone()));
  } else if (grad_enabled()) {
    self.set_grad(add(self.grad(), g));  // create_graph: keep the sum differentiable
  } else {
    Tensor acc = self.grad();
    acc.add_(g);
  }
  return {};
}

bool any_requires_grad(std::initializer_list<const Tensor*> inputs) {
  if (!t_grad_enabled) return false;
  for (const Tensor* t : inputs)
    if (t->defined() && t->requires_grad()) return true;
  return false;
}

bool any_requires_grad(const std::vector<Tensor>& inputs) {
  if (!t_grad_enabled) return false;
  for (const Tensor& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

namespace {

// The node that receives an input's gradient: its grad_fn, or its leaf accumulator.
std::shared_ptr<Node> gradient_edge(const Tensor& t) {
  if (!t.defined() || !t.requires_grad()) return nullptr;
  if (t.grad_fn()) return t.grad_fn();
  TensorImpl* impl = t.impl();
  auto acc = impl->grad_accumulator.lock();
  if (!acc) {
    acc = std::make_shared<AccumulateGrad>(t.impl_ptr());
    impl->grad_accumulator = acc;
  }
  return acc;
}

}  // namespace

void attach_grad_fn(Tensor& out, const char* name, const std::vector<Tensor>& inputs,
                    BackwardFn fn, const std::vector<Tensor>& saved, Backward kind) {
  std::vector<Edge> next;
  next.reserve(inputs.size());
  for (const Tensor& t : inputs) next.push_back(Edge{gradient_edge(t)});
  auto node = std::make_shared<Node>(name, std::move(next), std::move(fn), saved,
                                     kind == Backward::Differentiable);
  out.impl()->grad_fn = std::move(node);
  out.impl()->requires_grad = true;
}

namespace {

// Runs the graph below `roots`. With `capture` set, gradients reaching those nodes are
// stored there instead of flowing on (autograd.grad); otherwise leaves accumulate .grad.
void run_backward(const std::vector<std::shared_ptr<Node>>& roots, const std::vector<Tensor>& root_grads,
                  bool retain_graph, bool create_graph,
                  std::unordered_map<Node*, Tensor>* capture) {
  // Count how many edges point at each node (explicit stack: graphs can be deep).
  std::unordered_map<Node*, int> deps;
  std::unordered_set<Node*> seen;
  std::vector<Node*> stack;
  for (auto& r : roots)
    if (r && seen.insert(r.get()).second) stack.push_back(r.get());
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    for (const Edge& e : n->next()) {
      if (!e.node) continue;
      deps[e.node.get()]++;
      if (seen.insert(e.node.get()).second) stack.push_back(e.node.get());
    }
  }

  std::unordered_map<Node*, Tensor> pending;
  std::unordered_map<Node*, std::shared_ptr<Node>> keep;  // holds nodes alive while queued
  auto accumulate = [&](const std::shared_ptr<Node>& node, const Tensor& g) {
    auto it = pending.find(node.get());
    if (it == pending.end()) {
      pending.emplace(node.get(), g);
      keep.emplace(node.get(), node);
    } else {
      it->second = add(it->second, g);
    }
  };
  for (size_t i = 0; i < roots.size(); ++i)
    if (roots[i]) accumulate(roots[i], root_grads[i]);

  std::vector<Node*> ready;
  for (auto& r : roots)
    if (r && deps[r.get()] == 0 && std::find(ready.begin(), ready.end(), r.get()) == ready.end())
      ready.push_back(r.get());

  // A node is run once every edge into it has delivered (or declined) its gradient.
  auto release_children = [&](Node* node, const Grads* grads) {
    const auto& next = node->next();
    for (size_t i = 0; i < next.size(); ++i) {
      if (!next[i].node) continue;
      if (grads && i < grads->size() && (*grads)[i].defined()) accumulate(next[i].node, (*grads)[i]);
      if (--deps[next[i].node.get()] == 0) ready.push_back(next[i].node.get());
    }
  };

  bool prev = grad_enabled();
  set_grad_enabled(create_graph);
  try {
    while (!ready.empty()) {
      Node* node = ready.back();
      ready.pop_back();
      auto it = pending.find(node);
      if (it == pending.end()) {  // no gradient reached this node
        release_children(node, nullptr);
        continue;
      }
      Tensor g = it->second;
      std::shared_ptr<Node> hold = keep[node];
      pending.erase(it);
      keep.erase(node);
      for (auto& hook : node->hooks()) {
        Tensor r = hook(g);
        if (r.defined()) g = r;  // Tensor::register_hook wraps hooks to check this
      }
      if (auto kept = node->retained.lock()) Tensor(kept).set_grad(create_graph ? g : g.detach());
      bool is_leaf_sink = dynamic_cast<AccumulateGrad*>(node) != nullptr;
      if (capture) {
        auto c = capture->find(node);
        if (c != capture->end()) c->second = g;
        if (is_leaf_sink) continue;  // autograd.grad never writes .grad
      }
      Grads grads = node->apply(g);
      if (!retain_graph) node->release();
      release_children(node, &grads);
    }
  } catch (...) {
    set_grad_enabled(prev);
    throw;
  }
  set_grad_enabled(prev);
}

Tensor default_root_grad(const Tensor& out, const Tensor& given, const char* op) {
  if (given.defined()) {
    GLIA_CHECK(given.shape() == out.shape(), ShapeError, op, ": gradient has shape ",
               given.shape(), " but the output has shape ", out.shape());
    return given.dtype() == out.dtype() ? given : given.to(out.dtype());
  }
  GLIA_CHECK(out.numel() == 1, Error, op,
             ": grad can be implicitly created only for outputs with one element; got shape ",
             out.shape(), ", pass a gradient of that shape");
  return ones_like(out);
}

}  // namespace

void backward(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs,
              bool retain_graph, bool create_graph) {
  std::vector<std::shared_ptr<Node>> roots;
  std::vector<Tensor> grads;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& out = outputs[i];
    GLIA_CHECK(out.requires_grad(), Error,
               "backward: the tensor does not require grad and has no grad_fn (did you call "
               "it on a result computed under no_grad, or forget requires_grad=True?)");
    Tensor g = default_root_grad(out, i < grad_outputs.size() ? grad_outputs[i] : Tensor(),
                                 "backward");
    roots.push_back(gradient_edge(out));
    grads.push_back(g);
  }
  run_backward(roots, grads, retain_graph || create_graph, create_graph, nullptr);
}

std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs, bool retain_graph,
                         bool create_graph, bool allow_unused) {
  std::vector<std::shared_ptr<Node>> roots;
  std::vector<Tensor> grads;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& out = outputs[i];
    GLIA_CHECK(out.requires_grad(), Error, "grad: output ", i,
               " does not require grad and has no grad_fn");
    roots.push_back(gradient_edge(out));
    grads.push_back(
        default_root_grad(out, i < grad_outputs.size() ? grad_outputs[i] : Tensor(), "grad"));
  }
  std::unordered_map<Node*, Tensor> capture;
  std::vector<std::shared_ptr<Node>> input_nodes;
  for (size_t i = 0; i < inputs.size(); ++i) {
    GLIA_CHECK(inputs[i].requires_grad(), Error, "grad: input ", i, " does not require grad");
    input_nodes.push_back(gradient_edge(inputs[i]));
    capture.emplace(input_nodes.back().get(), Tensor());
  }
  run_backward(roots, grads, retain_graph || create_graph, create_graph, &capture);
  std::vector<Tensor> result;
  for (size_t i = 0; i < inputs.size(); ++i) {
    Tensor g = capture[input_nodes[i].get()];
    GLIA_CHECK(g.defined() || allow_unused, Error, "grad: input ", i,
               " was not used in the graph of the outputs; pass allow_unused=True");
    result.push_back(create_graph || !g.defined() ? g : g.detach());
  }
  return result;
}

}  // namespace glia
