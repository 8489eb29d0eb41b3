"""The optimizer base class: param groups, per-parameter state, zero_grad, state_dict."""
import copy

import glia
from glia._C import Tensor


class Optimizer:
    """Base of glia's optimizers, with PyTorch's interface.

    Subclasses set `defaults` and implement `_update(group, params, grads, states)`, which
    calls one fused C++ step for the whole group. `state[p]` holds each parameter's
    tensors and step count.
    """

    # Hyperparameters that must be >= 0, checked in every param group (constructor
    # arguments and add_param_group overrides alike).
    _non_negative = ("lr",)

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.state = {}
        self.param_groups = []
        params = list(params)
        if not params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        if not isinstance(params[0], dict):
            params = [{"params": params}]
        for group in params:
            self.add_param_group(group)

    def add_param_group(self, group):
        group = dict(group)
        ps = group["params"]
        group["params"] = [ps] if isinstance(ps, Tensor) else list(ps)
        for p in group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError(f"{type(self).__name__}: parameters must be tensors, got {type(p).__name__}")
            if not p.dtype.is_floating_point:
                raise TypeError(f"{type(self).__name__}: can only optimize floating-point tensors, got {p.dtype}")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in group["params"]):
            raise ValueError(f"{type(self).__name__}: a parameter appears in more than one group")
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self._check_group(group)
        self.param_groups.append(group)

    def _check_group(self, group):
        for name in self._non_negative:
            if group.get(name, 0) < 0:
                label = "learning rate" if name == "lr" else name
                raise ValueError(f"{type(self).__name__}: invalid {label} {group[name]}")

    def zero_grad(self, set_to_none=True):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    with glia.no_grad():
                        p.grad.zero_()

    def step(self, closure=None):
        """Runs one update for every parameter that has a gradient; returns closure()'s loss."""
        loss = None
        if closure is not None:
            with glia.enable_grad():
                loss = closure()
        with glia.no_grad():
            for group in self.param_groups:
                params = [p for p in group["params"] if p.grad is not None]
                if params:
                    states = [self.state.setdefault(p, {}) for p in params]
                    saved = [dict(st) for st in states]
                    try:
                        self._update(group, params, [p.grad for p in params], states)
                    except Exception:
                        # the kernels check everything before they write, so a failed step
                        # leaves this group's parameters as they were; put back each state
                        # as it was too (step counts, and no half-made state tensors)
                        for st, was in zip(states, saved):
                            st.clear()
                            st.update(was)
                        raise
        return loss

    @staticmethod
    def _prepare_state(params, states, **fills):
        """Counts this step in each parameter's state and creates the state tensors it lacks;
        `fills` maps a name to the value a new tensor starts at (None: not needed now)."""
        for p, st in zip(params, states):
            st["step"] = st.get("step", 0) + 1
            for name, fill in fills.items():
                if fill is not None and name not in st:
                    st[name] = glia.full_like(p, fill)

    def _update(self, group, params, grads, states):
        raise NotImplementedError(f"{type(self).__name__} must define _update()")

    # ---- checkpointing ----

    def state_dict(self):
        """{'state': {index: {...}}, 'param_groups': [...]} with parameters as indices."""
        index = {}
        groups = []
        for group in self.param_groups:
            g = {k: v for k, v in group.items() if k != "params"}
            g["params"] = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                g["params"].append(index[id(p)])
            groups.append(g)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if p in self.state:
                    state[index[id(p)]] = {k: (v.clone() if isinstance(v, Tensor) else copy.deepcopy(v))
                                           for k, v in self.state[p].items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError(f"load_state_dict: the state has {len(groups)} param groups, the "
                             f"optimizer {len(self.param_groups)}")
        by_index = {}
        for saved, group in zip(groups, self.param_groups):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError("load_state_dict: a param group's size differs from the saved one")
            for i, p in zip(saved["params"], group["params"]):
                by_index[i] = p
            for k, v in saved.items():
                if k != "params":
                    group[k] = v
        self.state = {}
        for i, st in state_dict["state"].items():
            p = by_index[int(i)]
            self.state[p] = {k: (v.clone().to(p.dtype) if isinstance(v, Tensor) and v.dtype.is_floating_point
                                 else (v.clone() if isinstance(v, Tensor) else copy.deepcopy(v)))
                             for k, v in st.items()}

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for k in sorted(g):
                if k != "params":
                    lines.append(f"    {k}: {g[k]}")
        return "\n".join(lines) + "\n)"
