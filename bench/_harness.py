"""Benchmark helpers: median wall time after warm-up, and a glia-vs-PyTorch table."""
import statistics
import time


def median_time(fn, warmup=5, repeat=30, min_time=0.0):
    """Median seconds per call of fn() after `warmup` calls; repeats at least `repeat` times
    (and until `min_time` seconds have passed)."""
    for _ in range(warmup):
        fn()
    times = []
    start = time.perf_counter()
    while len(times) < repeat or time.perf_counter() - start < min_time:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def time_pair(g_fn, t_fn, repeat, warmup=3, block=3):
    """Median seconds per call of the glia and the torch function, after `warmup` calls each,
    timed in alternating blocks of `block` calls until each has `repeat` samples: both then
    run on the same machine, whose speed here drifts by up to 30% from minute to minute."""
    for fn in (g_fn, t_fn):
        for _ in range(warmup):
            fn()
    g_times, t_times = [], []
    while len(g_times) < repeat:
        for fn, times in ((g_fn, g_times), (t_fn, t_times)):
            for _ in range(block):
                t0 = time.perf_counter()
                fn()
                times.append(time.perf_counter() - t0)
    return statistics.median(g_times), statistics.median(t_times)


def median_time_batched(fn, inner=1000, repeat=15):
    """Median per-call time for very fast functions: times `inner` calls per sample."""
    for _ in range(inner):
        fn()
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        samples.append((time.perf_counter() - t0) / inner)
    return statistics.median(samples)


class Table:
    """Rows of (name, glia value, torch value[, extra]) printed with the ratio.

    `higher_is_better` picks the ratio's direction so that ratio > 1 always means glia wins.
    """

    def __init__(self, title, unit, higher_is_better, extra_col=None):
        self.title, self.unit, self.higher = title, unit, higher_is_better
        self.extra_col = extra_col
        self.rows = []

    def add(self, name, glia_value, torch_value, extra=None):
        self.rows.append((name, glia_value, torch_value, extra))

    def render(self):
        head = f"{'case':<34}{'glia ' + self.unit:>16}{'torch ' + self.unit:>16}"
        if self.extra_col:
            head += f"{self.extra_col:>16}"
        head += f"{'glia vs torch':>15}"
        lines = [f"## {self.title}", head, "-" * len(head)]
        for name, g, t, extra in self.rows:
            ratio = g / t if self.higher else t / g
            line = f"{name:<34}{g:>16.2f}{t:>16.2f}"
            if self.extra_col:
                line += f"{extra:>16.2f}" if extra is not None else f"{'':>16}"
            line += f"{ratio:>14.2f}x"
            lines.append(line)
        return "\n".join(lines)

    def print(self):
        print(self.render())
        print()


def forward_and_backward_tables(glia, torch, threads):
    """Pins both libraries to `threads` and returns the (forward, forward + backward)
    millisecond tables that the layer benchmarks fill."""
    torch.set_num_threads(threads)
    glia.set_num_threads(threads)
    return (Table("forward (ms, lower is better)", "ms", False),
            Table("forward + backward (ms, lower is better)", "ms", False))


def print_tables(glia, torch, threads, *tables, note=""):
    print(f"glia {glia.__version__}, torch {torch.__version__}, {threads} threads{note}\n")
    for table in tables:
        table.print()
