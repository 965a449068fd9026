"""Embedding lookup (forward gather, backward scatter-add into a dense table gradient, float32, CPU):
ironnet vs PyTorch, interleaved.

    python bench/bench_embedding.py                                # 1 thread, ids 64x64, table 1000x256
    python bench/bench_embedding.py --threads 2 --ids 64x128 --table 100x512
    python bench/bench_embedding.py --markdown bench/RESULTS.md

Both libraries are validated against each other first. GB/s counts the bytes a kernel must move:
forward reads one table row and writes one output row per id; backward zeroes the table gradient and
reads and adds one upstream row per id.
"""
from __future__ import annotations

import argparse
import sys
from typing import List, Optional

import harness

import numpy as np  # noqa: E402  (after harness, which must not import NumPy itself)
import torch  # noqa: E402

import ironnet  # noqa: E402
from ironnet import _C  # noqa: E402

aten = torch.ops.aten


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--ids", default="64x64", help="BATCHxSTEPS")
    p.add_argument("--table", default="1000x256", help="VOCABxDIM")
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--markdown", metavar="PATH", help="write/update the embedding section of this file")
    args = p.parse_args(argv)
    batch, steps = (int(v) for v in args.ids.lower().split("x"))
    vocab, dim = (int(v) for v in args.table.lower().split("x"))
    ironnet.set_num_threads(args.threads)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    ids = rng.integers(0, vocab, (batch, steps))
    table = rng.standard_normal((vocab, dim)).astype(np.float32)
    dy = rng.standard_normal((batch, steps, dim)).astype(np.float32)
    ids_i, table_i, dy_i = ironnet.tensor(ids)._impl, ironnet.tensor(table)._impl, ironnet.tensor(dy)._impl
    ids_t, table_t, dy_t = torch.from_numpy(ids), torch.from_numpy(table), torch.from_numpy(dy)
    rows = [
        ("forward", lambda: _C.embedding(ids_i, table_i), lambda: torch.nn.functional.embedding(ids_t, table_t),
         2 * ids.size * dim),
        ("backward", lambda: _C.embedding_backward(ids_i, dy_i, vocab),
         lambda: aten.embedding_dense_backward(dy_t, ids_t, vocab, -1, False), vocab * dim + 2 * ids.size * dim),
    ]
    monitor = harness.CpuMonitor()
    table_rows = []
    for which, mine, theirs, floats in rows:
        np.testing.assert_allclose(np.asarray(memoryview(mine())), theirs().numpy(), rtol=1e-5, atol=1e-5,
                                   err_msg=which)
        cmp = harness.time_interleaved({"ironnet": mine, "torch": theirs}, args.repeats, 0.02, pause=0.01,
                                       monitor=monitor)
        ti, tt = cmp.timings["ironnet"].median, cmp.timings["torch"].median
        table_rows.append([which, f"{ti * 1e3:.3f}", f"{tt * 1e3:.3f}", f"{4 * floats / ti / 1e9:.1f}",
                           f"{ti / tt:.2f}" + ("" if cmp.clean else " *")])
    headers = ["pass", "ironnet ms", "torch ms", "ironnet GB/s", "time ratio (ironnet/torch)"]
    command = "python bench/bench_embedding.py " + " ".join(sys.argv[1:] if argv is None else argv)
    info = (f"- {harness.cpu_model()}; torch {torch.__version__}\n- ids {batch}x{steps}, table {vocab}x{dim}, "
            f"{args.threads} thread(s); `*` marks a result other processes disturbed")
    print(harness.format_table(headers, table_rows))
    print(info)
    if args.markdown:
        body = (f"### Embedding (float32): ironnet vs PyTorch\n\nCommand: `{command.strip()}`\n\n{info}\n\n"
                f"{harness.format_table(headers, table_rows, markdown=True)}\n")
        harness.update_markdown_section(args.markdown, "bench_embedding", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
