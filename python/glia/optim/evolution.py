"""A gradient-free evolutionary strategy over the flattened parameter vector."""

import numpy as np

import glia
from glia.optim.optimizer import Optimizer

__all__ = ["Evolution"]


class Evolution(Optimizer):
    """Elitist genetic search: selection, uniform crossover and Gaussian mutation.

    Each step() breeds `population_size` children from the current elite, evaluates the
    loss of each (the closure only has to return the loss; it runs under no_grad and needs
    no backward), keeps the best `elite_fraction` of elite and children together, and writes
    the best individual into the parameters. The best loss therefore never increases.

    Args:
        params: iterable of tensors or of dicts defining parameter groups (need not
            require grad). Group options apply to that group's slice of the vector.
        population_size: children evaluated per step (default 50).
        sigma: standard deviation of the Gaussian mutation (default 0.1); may be changed in
            param_groups between steps to refine the search.
        elite_fraction: fraction of the population kept as parents (default 0.2).
        crossover: mix two parents gene by gene (default True); else clone one parent.
        mutation_rate: probability that a gene is mutated (default 1.0).
        seed: seed of the numpy generator, for reproducible runs (default None).

    Child = mutate(crossover(a, b)) for parents a, b drawn uniformly from the elite:
        c_i = a_i or b_i with probability 1/2 each;  c_i += sigma * N(0, 1) with prob. mutation_rate
    """

    _non_negative = ("sigma",)

    def __init__(
        self,
        params,
        population_size=50,
        sigma=0.1,
        elite_fraction=0.2,
        crossover=True,
        mutation_rate=1.0,
        seed=None,
    ):
        if population_size < 1:
            raise ValueError(f"Evolution: population_size must be positive, got {population_size}")
        if not 0.0 < elite_fraction <= 1.0:
            raise ValueError(f"Evolution: elite_fraction must be in (0, 1], got {elite_fraction}")
        if not 0.0 <= mutation_rate <= 1.0:
            raise ValueError(f"Evolution: mutation_rate must be in [0, 1], got {mutation_rate}")
        defaults = {"sigma": sigma, "mutation_rate": mutation_rate}
        super().__init__(params, defaults)
        self.population_size = population_size
        self.elite_fraction = elite_fraction
        self.crossover = crossover
        self._params = [p for g in self.param_groups for p in g["params"]]
        # The search state is global; it lives with the first parameter so that
        # state_dict() carries it, the generator included.
        self.state[self._params[0]] = {"generation": 0, "rng": np.random.default_rng(seed)}

    def _flat(self):
        return np.concatenate([p.detach().numpy().astype(np.float64).ravel() for p in self._params])

    def _write(self, x):
        offset = 0
        for p in self._params:
            n = p.numel()
            chunk = x[offset : offset + n].reshape(p.shape).astype(p.detach().numpy().dtype)
            p.copy_(glia.from_numpy(chunk))
            offset += n

    def _evaluate(self, closure, x):
        self._write(x)
        return float(closure())

    def _group_vectors(self, n):
        """Per-element sigma and mutation rate, from each parameter's group."""
        sigma, rate = np.empty(n), np.empty(n)
        offset = 0
        for g in self.param_groups:
            for p in g["params"]:
                sigma[offset : offset + p.numel()] = g["sigma"]
                rate[offset : offset + p.numel()] = g["mutation_rate"]
                offset += p.numel()
        return sigma, rate

    def step(self, closure):
        """Evaluates one generation; returns the best loss found so far (a float).

        Args:
            closure: evaluates the model at the current parameters and returns the loss.
        """
        with glia.no_grad():
            return self._step(closure)

    def _step(self, closure):
        state = self.state[self._params[0]]
        rng = state["rng"]
        if "elite" not in state:
            x = self._flat()
            state["elite"] = x[None, :]
            state["elite_losses"] = np.array([self._evaluate(closure, x)])
        elite, elite_losses = state["elite"], state["elite_losses"]
        n = elite.shape[1]
        sigma, rate = self._group_vectors(n)

        a = elite[rng.integers(len(elite), size=self.population_size)]
        if self.crossover:
            b = elite[rng.integers(len(elite), size=self.population_size)]
            children = np.where(rng.random(a.shape) < 0.5, a, b)
        else:
            children = a.copy()
        mutate = rng.random(children.shape) < rate
        children += mutate * sigma * rng.standard_normal(children.shape)
        losses = np.array([self._evaluate(closure, c) for c in children])

        # (mu + lambda) selection: the elite competes with its children, so progress is kept;
        # NaN losses sort last
        pool = np.concatenate([elite, children])
        pool_losses = np.concatenate([elite_losses, losses])
        n_elite = max(1, round(self.elite_fraction * self.population_size))
        ranked = np.where(np.isnan(pool_losses), np.inf, pool_losses)
        keep = np.argsort(ranked, kind="stable")[:n_elite]
        state["elite"], state["elite_losses"] = pool[keep], pool_losses[keep]
        state["generation"] += 1
        self._write(state["elite"][0])
        return float(state["elite_losses"][0])
