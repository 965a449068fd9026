"""Training throughput, ironnet's `fit` against the equivalent idiomatic PyTorch loop in the same run:
shared by bench_mlp.py and bench_cnn.py.

Each library first shows that it learns (the mean loss over a short run, also the warm-up, must fall
below a bound; chance is 2.3 for ten classes), then trains one epoch per round; the libraries take
turns round by round, and the median epoch time gives samples/s.
"""
from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time
from typing import Callable, Dict, List, Sequence

import numpy as np
import torch

import harness
import ironnet

BATCH, EPOCH_SAMPLES, WARMUP_SAMPLES = 128, 60_000, 12_800


def ironnet_epoch(model, x: np.ndarray, y: np.ndarray, samples: int) -> float:
    history = model.fit(x[:samples], y[:samples], epochs=1, batch_size=BATCH, verbose=0)
    return history.history["loss"][-1]


def torch_epoch(state, x: np.ndarray, y: np.ndarray, samples: int) -> float:
    """One epoch of the usual PyTorch loop: logits + CrossEntropyLoss, a shuffled index, Adam; on a GPU
    each batch is copied there from host memory, as ironnet's fit copies it."""
    model, opt, loss_fn, prepare, device = state
    xt, yt = prepare(torch.from_numpy(x[:samples])), torch.from_numpy(y[:samples])
    order = torch.randperm(samples)
    total = 0.0
    for i in range(0, samples, BATCH):
        idx = order[i : i + BATCH]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(xt[idx].to(device)), yt[idx].to(device))
        loss.backward()
        opt.step()
        total += loss.item() * len(idx)
    return total / samples


def torch_state(model: torch.nn.Module, prepare: Callable = lambda t: t, device: str = "cpu"):
    """PyTorch's side: the model (moved to `device`), Adam(1e-3), CrossEntropyLoss, how inputs are laid
    out, and the device batches go to."""
    model = model.to(device)
    return model, torch.optim.Adam(model.parameters(), lr=1e-3), torch.nn.CrossEntropyLoss(), prepare, device


def measure(threads: int, rounds: int, x: np.ndarray, y: np.ndarray, contenders: Dict[str, Callable],
            loss_bound: float = 1.0) -> Dict[str, float]:
    """samples/s per contender; contenders maps a name to a factory returning (epoch function, state)."""
    ironnet.set_num_threads(threads)
    torch.set_num_threads(threads)
    built = {name: make() for name, make in contenders.items()}
    for name, (run, state) in built.items():  # correctness first: each learns (and warms up)
        loss = run(state, x, y, WARMUP_SAMPLES)
        if not loss < loss_bound:
            sys.exit(f"{name} did not learn: loss {loss:.3f} after {WARMUP_SAMPLES // BATCH} steps")
    times: Dict[str, List[float]] = {name: [] for name in built}
    names = list(built)
    for r in range(rounds):
        for name in names if r % 2 == 0 else names[::-1]:
            run, state = built[name]
            time.sleep(0.2)  # the other library's spinning threads fall asleep
            start = time.perf_counter()
            run(state, x, y, EPOCH_SAMPLES)
            times[name].append(time.perf_counter() - start)
    return {name: EPOCH_SAMPLES / statistics.median(v) for name, v in times.items()}


def write_section(path: str, key: str, title: str, command: str, notes: Sequence[str], table: str) -> None:
    """Replaces (or appends) the `key` section of a markdown results file."""
    lines = [f"### {title}\n", f"Command: `{command}`\n",
             f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
             f"- cpu: {harness.cpu_model()}, {os.cpu_count()} logical CPUs",
             f"- ironnet {ironnet.__version__} ({ironnet.get_cpu_isa()}), torch {torch.__version__}",
             *(f"- {note}" for note in notes), "", table, ""]
    harness.update_markdown_section(path, key, "\n".join(lines))
    print(f"updated the {key!r} section of {path}")


def run_cli(doc: str, data: Callable, contenders: Dict[str, Callable], target: float, key: str, title: str,
            note: str) -> int:
    """The command line of a training benchmark: --threads, --rounds, --markdown; "ironnet" against the
    fastest of the other contenders, with `target` the ratio the 2-thread run must reach."""
    p = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--markdown", metavar="PATH")
    args = p.parse_args()
    x, y = data()
    peers = [name for name in contenders if name != "ironnet"]
    rows = []
    for t in args.threads:
        rate = measure(t, args.rounds, x, y, contenders)
        ratio = rate["ironnet"] / max(rate[name] for name in peers)
        met = ("yes" if ratio >= target else "**NO**") if t == 2 else "—"
        rows.append([str(t), *(f"{rate[name]:,.0f}" for name in contenders), f"{ratio:.2f}×", met])
        print(f"threads {t}: " + ", ".join(f"{k} {v:,.0f} samples/s" for k, v in rate.items())
              + f", ratio {ratio:.2f}", flush=True)
    best = "best PyTorch" if len(peers) > 1 else peers[0]
    headers = ["threads", *(f"{name} samples/s" for name in contenders), f"ironnet / {best}",
               f"≥ {target}× (2 threads)"]
    print(harness.format_table(headers, rows))
    if args.markdown:
        script = os.path.basename(sys.argv[0])
        write_section(args.markdown, key, title, f"python bench/{script} --markdown {args.markdown}",
                      [f"median of {args.rounds} epochs each, libraries alternating; {note}"],
                      harness.format_table(headers, rows, markdown=True))
    return 0
