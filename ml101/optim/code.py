"""The race's "Show the code": a script that runs the same race with the real classes."""

from __future__ import annotations

from ml101.optim.race import RaceSpec, torch_kwargs


def code_for(spec: RaceSpec) -> str:
    """Runnable PyTorch code for this race: each racer's torch.optim class on a two-element
    tensor, `loss.backward()` for the gradient, the page's divergence test. It prints each
    racer's final loss and position (or the step it diverged at) with the digits the
    leaderboard shows at the race's last step."""
    surf = spec.surf
    entries = []
    for r in spec.racers:
        kw = ", ".join(f"{k!r}: {v!r}" for k, v in torch_kwargs(r).items())
        entries.append(f"    ({r.label!r}, torch.optim.{r.info.cls}, {r.lr!r}, {{{kw}}}),")
    minima = ", ".join(f"({a:g}, {b:g})" for a, b in surf.minima)
    x0, y0 = (float(v) for v in spec.start)
    return f'''{"import math" + chr(10) if "math." in surf.code else ""}import torch


def f(x, y):
    """{surf.name}: minimum 0 at {minima}."""
    return {surf.code}


def race(optimizer_class, lr, steps={spec.steps}, **kwargs):
    """Optimize (x, y) from the start with one optimizer; stop if it diverges."""
    xy = torch.tensor([{x0!r}, {y0!r}], requires_grad=True)
    optimizer = optimizer_class([xy], lr=lr, **kwargs)

    def closure():  # L-BFGS needs to re-evaluate f; the others call it once per step
        optimizer.zero_grad()
        loss = f(xy[0], xy[1])
        loss.backward()
        return loss

    path = [xy.detach().clone()]
    for _ in range(steps):
        optimizer.step(closure)
        path.append(xy.detach().clone())
        if not torch.isfinite(xy).all() or xy.abs().max() > {surf.box!r}:
            break  # diverged: NaN/inf or far outside the view
    return torch.stack(path)


racers = [
{chr(10).join(entries)}
]
for name, optimizer_class, lr, kwargs in racers:
    path = race(optimizer_class, lr, **kwargs)
    x, y = path[-1]
    if not torch.isfinite(path[-1]).all() or path[-1].abs().max() > {surf.box!r}:
        print(f"{{name:15}} diverged at step {{len(path) - 1}}")
    else:
        print(f"{{name:15}} final loss {{f(x, y).item():.6g}} at ({{x:.6f}}, {{y:.6f}})")
'''
