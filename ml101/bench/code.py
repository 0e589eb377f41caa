"""The runnable script behind "Show the code": it prints the numbers of the sweep's table.

One public function, `code_for`, as in every concept package.
"""

from __future__ import annotations

from ml101.bench.measuring import Point
from ml101.bench.ops import LINEAR_FEATURES, OPS, itemsize
from ml101.bench.sweeps import SweepPlan


def code_for(plan: SweepPlan, measured: list[Point] | None = None) -> str:
    """Runnable code for a sweep: prints size, FLOP and bytes per call, median and IQR.

    Given the measured points, each series loops over exactly the sizes it measured, so the
    code prints the rows of the table and not the ones the time budget skipped."""
    lines = [
        "import numpy as np",
        "import torch",
        "from torch.utils.benchmark import Timer",
        "",
        f"torch.manual_seed({plan.seed})",
        "",
        "",
        "def timed(stmt, env, threads):",
        "    # blocked_autorange runs stmt 1, 10, 100... times until a block is long enough",
        "    # to time (a warm-up too), then times blocks of that many calls until",
        "    # min_run_time; its clock synchronises any GPU.",
        "    m = Timer(stmt, globals=env, num_threads=threads).blocked_autorange(",
        "        min_run_time=0.2)",
        "    t = np.array(m.times)",
        "    return m.median, np.percentile(t, 75) - np.percentile(t, 25), len(t)",
        "",
        "",
    ]
    for s in plan.series:
        sizes = list(plan.sizes) if measured is None else \
            sorted(p.size for p in measured if p.series == s)
        if not sizes:
            continue
        op = OPS[s.op]
        dev = s.device
        dt = f"torch.{s.dtype}"
        lines.append(f"# {s.label}: {op.label}")
        if s.tf32:
            lines.append('torch.backends.cuda.matmul.fp32_precision = "tf32"')
        elif s.device == "cuda":
            lines.append('torch.backends.cuda.matmul.fp32_precision = "ieee"')
        lines.append(f"for size in {sizes}:")
        if s.library == "numpy":
            lines += [f"    a = torch.randn(size, size).numpy().astype('{s.dtype}')",
                      f"    b = torch.randn(size, size).numpy().astype('{s.dtype}')",
                      f"    stmt = 'np.{'matmul' if s.op == 'matmul' else 'add'}(a, b, out=c)'",
                      "    env = {'np': np, 'a': a, 'b': b, 'c': np.empty_like(a)}"]
        elif s.op in ("matmul", "add"):
            lines += [f"    a = torch.randn(size, size).to('{dev}', {dt})",
                      f"    b = torch.randn(size, size).to('{dev}', {dt})",
                      f"    stmt = 'torch.{s.op}(a, b, out=c)'",
                      "    env = {'torch': torch, 'a': a, 'b': b, 'c': torch.empty_like(a)}"]
        elif s.op == "linear":
            f = LINEAR_FEATURES
            lines += [f"    layer = torch.nn.Linear({f}, {f}).to('{dev}', {dt})"
                      ".requires_grad_(False)",
                      f"    x = torch.randn(size, {f}).to('{dev}', {dt})",
                      "    stmt, env = 'layer(x)', {'layer': layer, 'x': x}"]
        else:
            pin = ".pin_memory()" if s.op == "h2d_pinned" else ""
            lines += [f"    host = torch.randn(size, size).to({dt}){pin}",
                      f"    dst = torch.empty_like(host, device='{dev}')",
                      "    stmt, env = 'dst.copy_(host)', {'dst': dst, 'host': host}"]
        flops = {"matmul": "2 * size**3", "add": "size**2",
                 "linear": f"2 * size * {LINEAR_FEATURES}**2 + size * {LINEAR_FEATURES}"}
        nbytes = {"matmul": "3 * size**2", "add": "3 * size**2",
                  "linear": f"(2 * size * {LINEAR_FEATURES} + {LINEAR_FEATURES}**2 + "
                            f"{LINEAR_FEATURES})"}
        item = itemsize(s.dtype)
        lines += [f"    flops = {flops.get(s.op, '0')}",
                  f"    nbytes = {nbytes.get(s.op, 'size**2')} * {item}",
                  f"    median, iqr, runs = timed(stmt, env, threads={s.threads})",
                  f"    print('{s.label}', size, flops, nbytes,",
                  "          f'{median * 1e3:.4f} ms', f'IQR {iqr * 1e3:.4f} ms', runs,",
                  "          f'{flops / median / 1e9:.2f} GFLOP/s', "
                  "f'{nbytes / median / 1e9:.2f} GB/s')",
                  ""]
    return "\n".join(lines).rstrip() + "\n"
