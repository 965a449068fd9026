"""Timing helpers shared by the Python benchmarks: warm-up, calibrated repeats, medians, GFLOP/s.

Every benchmark here follows the same recipe: validate first, warm up, then take the median of
`repeats` samples, where one sample times `inner` back-to-back calls so that even a microsecond-long
call is measured over a few milliseconds. Peers measured against each other are interleaved sample
by sample (`time_interleaved`), so a burst of noise on this shared machine hits all of them alike
and the ratios stay meaningful even when the absolute numbers wobble; rounds during which other
processes took CPU time (`CpuMonitor`) are measured again.

No NumPy import here: bench scripts may need to set OPENBLAS_NUM_THREADS before NumPy loads.
"""
from __future__ import annotations

import math
import os
import platform
import shlex
import statistics
import sys
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple


def gemm_flops(m: int, n: int, k: int) -> float:
    """Floating-point operations of one (M, K) @ (K, N) product: a multiply and an add per term."""
    return 2.0 * m * n * k


def gflops(flops: float, seconds: float) -> float:
    return flops / seconds / 1e9 if seconds > 0 else float("nan")


@dataclass
class Timing:
    """Per-call times in seconds, one per sample (each sample averages `inner` calls)."""

    samples: List[float] = field(default_factory=list)
    inner: int = 1

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def spread(self) -> float:
        """Interquartile range over the median: 0.05 means the middle half of samples lie within 5%."""
        if len(self.samples) < 4:
            return (max(self.samples) - min(self.samples)) / self.median
        q = statistics.quantiles(self.samples, n=4)
        return (q[2] - q[0]) / self.median


def warm_up(fn: Callable[[], object], min_calls: int = 2, min_seconds: float = 0.05) -> float:
    """Calls fn until both min_calls and min_seconds are reached (caches, page faults, thread pools
    and lazy initialisation all settle); returns the fastest single call seen, an estimate of its cost."""
    best = math.inf
    start = time.perf_counter()
    calls = 0
    while calls < min_calls or time.perf_counter() - start < min_seconds:
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
        calls += 1
    return best


def inner_calls(estimate: float, min_sample_seconds: float) -> int:
    """How many back-to-back calls one sample needs to last at least min_sample_seconds."""
    return max(1, math.ceil(min_sample_seconds / max(estimate, 1e-9)))


def _sample(fn: Callable[[], object], inner: int) -> float:
    t0 = time.perf_counter()
    for _ in range(inner):
        fn()
    return (time.perf_counter() - t0) / inner


class CpuMonitor:
    """How much CPU time other processes take: all CPUs' busy time (Linux /proc/stat, hypervisor steal
    included) minus this process's own (every thread, spinning thread pools too). Accurate to about
    one clock tick (10 ms) per CPU; reports 0 where /proc/stat does not exist."""

    def __init__(self) -> None:
        self.available = os.path.exists("/proc/stat")
        self._tick = 1.0 / os.sysconf("SC_CLK_TCK") if self.available else 0.0

    def _busy(self) -> float:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:9]]
        # user nice system idle iowait irq softirq steal (guest time is counted in user already)
        return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) * self._tick

    def snapshot(self) -> Tuple[float, float]:
        return (self._busy() if self.available else 0.0, time.process_time())

    def others(self, since: Tuple[float, float]) -> float:
        """CPU seconds other processes used since the snapshot `since`."""
        now = self.snapshot()
        return max(0.0, (now[0] - since[0]) - (now[1] - since[1])) if self.available else 0.0


def contended(others_seconds: float, wall_seconds: float, spare_cpus: float = 0.0) -> bool:
    """True when other processes used enough CPU during a measurement to disturb it: more than the
    `spare_cpus` the measurement leaves idle plus 10% of one CPU, with two clock ticks of slack for
    /proc/stat's resolution."""
    return others_seconds > 0.02 + (spare_cpus + 0.1) * wall_seconds


def wait_for_quiet(
    monitor: CpuMonitor, max_wait: float, spare_cpus: float = 0.0, interval: float = 0.25
) -> Tuple[float, bool]:
    """Waits (up to max_wait seconds) until other processes use no more than `spare_cpus` CPUs (the ones
    the coming measurement leaves idle) for `interval`; returns (seconds waited, whether it is quiet)."""
    start = time.perf_counter()
    while True:
        since = monitor.snapshot()
        time.sleep(interval)
        if not contended(monitor.others(since), interval, spare_cpus):
            return time.perf_counter() - start, True
        if time.perf_counter() - start >= max_wait:
            return time.perf_counter() - start, False


@dataclass
class Comparison:
    """Timings of peers doing the same work, and how much other processes disturbed them."""

    timings: Dict[str, Timing]
    rounds: int  # rounds run, contended ones included
    contended_rounds: int  # rounds other processes disturbed, left out when enough clean ones remain
    clean: bool  # False when the result had to include contended rounds


def time_interleaved(
    fns: Dict[str, Callable[[], object]],
    repeats: int,
    min_sample_seconds: float,
    pause: float = 0.0,
    monitor: Optional[CpuMonitor] = None,
    spare_cpus: float = 0.0,
) -> Comparison:
    """Times several callables doing the same work, interleaved: each round takes one sample of every
    callable, starting with a different one each round, so a burst of noise hits them alike.

    Before each sample: `pause` seconds of sleep, then one untimed call. Thread pools spin for a while
    after their last job (OpenBLAS ~0.1 s, OpenMP runtimes a few ms); on a machine with few cores a
    pool still spinning steals cores from the next library's threads, so the pause lets the previous
    library's threads fall asleep and the untimed call wakes this library's own.

    With a monitor, a round during which other processes used more than the `spare_cpus` CPUs the
    callables leave idle is run again (at most `repeats` extra rounds); contended rounds are dropped
    when at least half of `repeats` clean ones remain.
    """
    names = list(fns)
    inner = {}
    for name in names:
        time.sleep(pause)
        inner[name] = inner_calls(warm_up(fns[name]), min_sample_seconds)
    clean: List[Dict[str, float]] = []
    every: List[Dict[str, float]] = []
    contended_rounds = 0
    while len(clean) < repeats and len(every) < 2 * repeats:
        r = len(every)
        samples: Dict[str, float] = {}
        others = busy_wall = 0.0
        for i in range(len(names)):
            name = names[(r + i) % len(names)]
            time.sleep(pause)
            fns[name]()
            since = monitor.snapshot() if monitor else None
            t0 = time.perf_counter()
            samples[name] = _sample(fns[name], inner[name])
            busy_wall += time.perf_counter() - t0
            if samples[name] * inner[name] < 0.5 * min_sample_seconds:  # the warm-up misjudged the cost
                inner[name] = inner_calls(samples[name], min_sample_seconds)
            others += monitor.others(since) if monitor else 0.0
        every.append(samples)
        if contended(others, busy_wall, spare_cpus):
            contended_rounds += 1
        else:
            clean.append(samples)
    use = clean if len(clean) >= (repeats + 1) // 2 else every
    timings = {name: Timing([s[name] for s in use], inner[name]) for name in names}
    return Comparison(timings, len(every), contended_rounds, use is clean)


class CaseRun(NamedTuple):
    """One case at one thread count, validated and ready to time (see `validated_cases`)."""
    threads: int
    case: object
    fns: Dict[str, Callable[[], object]]
    error: float
    monitor: "CpuMonitor"
    spare: int


def validated_cases(args, cases: Dict[str, object], make_callables: Callable, tolerance: float = 1e-4):
    """Yields a CaseRun per (thread count in args.threads, case named in args.cases), in that order:
    ironnet's and torch's thread counts set, the callables made by
    make_callables(np, torch, ironnet, case, args.seed) -> (fns, check), check() (the largest relative
    error against the peer) at most `tolerance` or the process exits 1, and the CPU quiet (at most
    args.max_wait seconds of waiting). The callers time the callables."""
    import numpy as np
    import torch

    import ironnet

    monitor = CpuMonitor()
    for threads in args.threads:
        ironnet.set_num_threads(threads)
        torch.set_num_threads(threads)
        for name in args.cases:
            case = cases[name]
            fns, check = make_callables(np, torch, ironnet, case, args.seed)
            error = check()
            if error > tolerance:
                print(f"FAIL {case.label()} at {threads} thread(s): relative error {error:.1e} > {tolerance:g}",
                      file=sys.stderr)
                sys.exit(1)
            spare = max(0, (os.cpu_count() or 1) - threads)
            wait_for_quiet(monitor, args.max_wait, spare)
            yield CaseRun(threads, case, fns, error, monitor, spare)


def target_summary(verdicts: Sequence[Optional[bool]], threads: int) -> str:
    """One line on the rows judged against their targets (None: a row with no target at this thread
    count): how many missed, or that none was run at the thread count the targets are set for."""
    judged = [v for v in verdicts if v is not None]
    if not judged:
        return f"targets at {threads} threads: no row run at {threads} threads"
    missed = judged.count(False)
    return f"targets at {threads} threads: " + ("all met" if not missed else f"{missed} of {len(judged)} missed")


def cpu_model() -> str:
    """The CPU's model name with its family and model numbers (which tell, say, AMD Zen 4 from Zen 5 when
    the name is only "AMD EPYC") from /proc/cpuinfo on Linux, else what the platform module knows."""
    fields: Dict[str, str] = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if not line.strip():
                    break  # the first processor's block is enough
                key, _, value = line.partition(":")
                fields[key.strip()] = value.strip()
    except OSError:
        pass
    if "model name" not in fields:
        return platform.processor() or platform.machine()
    ids = [f"{k} {fields[k]}" for k in ("cpu family", "model") if k in fields]
    return fields["model name"] + (f" ({', '.join(ids)})" if ids else "")


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]], markdown: bool = False) -> str:
    """A plain-text (aligned columns) or Markdown table."""
    if markdown:
        lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(headers)]
    out = ["  ".join(h.rjust(w) for h, w in zip(headers, widths))]
    out.append("  ".join("-" * w for w in widths))
    out += ["  ".join(c.rjust(w) for c, w in zip(row, widths)) for row in rows]
    return "\n".join(out)


def replace_section(text: str, name: str, body: str) -> str:
    """Puts `body` between the `<!-- name:begin -->` and `<!-- name:end -->` markers of `text`,
    replacing what was there, or appends a new marked section when the markers are absent."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    block = f"{begin}\n{body.rstrip()}\n{end}"
    i, j = text.find(begin), text.find(end)
    if i >= 0 and j > i:
        return text[:i] + block + text[j + len(end):]
    return text.rstrip() + ("\n\n" if text.strip() else "") + block + "\n"


def command_line(argv: Optional[Sequence[str]] = None) -> str:
    """The command that ran this script, as results files quote it: `python bench/x.py ARGS`, with
    ARGS the arguments main() was given (None: the process's own)."""
    return "python " + shlex.join([os.path.relpath(sys.argv[0]), *(sys.argv[1:] if argv is None else argv)])


def results_section(title: str, command: str, facts: Sequence[str], *blocks: str) -> str:
    """The body of a results section: a '### title' heading, the command in backticks, a bullet per fact
    (machine, versions, settings), then the blocks (a table, a summary, notes) apart by blank lines."""
    head = [f"### {title}", "", f"Command: `{command}`", "", *(f"- {fact}" for fact in facts), ""]
    return "\n".join(head) + "\n" + "\n\n".join(blocks) + "\n"


def update_markdown_section(path: str, name: str, body: str) -> None:
    """Replaces (or appends) section `name` of the Markdown file at `path` (see replace_section). The
    file is replaced in one step (a temporary file renamed over it), so an interrupted run never
    leaves it half-written."""
    text = open(path).read() if os.path.exists(path) else ""
    temporary = f"{path}.tmp-{os.getpid()}"
    with open(temporary, "w") as f:
        f.write(replace_section(text, name, body))
    os.replace(temporary, path)


def write_results(path: str, name: str, body: str) -> None:
    """update_markdown_section, then a line saying which section of which file was updated."""
    update_markdown_section(path, name, body)
    print(f"updated the '{name}' section of {path}")
