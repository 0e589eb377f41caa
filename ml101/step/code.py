"""The code behind "Show the code": a plain PyTorch script that reaches the page's step and
runs it op by op, printing every tensor the page shows.

It builds the same data, network, loss, optimizer and DataLoader under the same seed as
`Run`, replays the steps before this one with the lesson's loop, then runs the shown step
in five parts with forward hooks' place taken by a layer-by-layer loop and a hook on every
node of the backward graph, so a learner sees the engine's order for themselves.
"""

from __future__ import annotations

from ml101 import datasets, losses, models
from ml101.optimizers import OPTIMIZERS
from ml101.step.settings import StepSettings


def code_for(settings: StepSettings, done: int) -> str:
    """A runnable script that prints the numbers of step `done + 1` of this run."""
    s = settings
    spec = s.spec()
    layers = models.layers(spec)
    layer_lines = "\n".join(f"    nn.{_module(m)}," for m in layers)
    names, number = {}, 0
    outputs = []
    for i, m in enumerate(layers):
        if type(m).__name__ == "Linear":
            number += 1
            names[f"{i}.weight"], names[f"{i}.bias"] = f"W{number}", f"b{number}"
            outputs.append(f"z{number}")
        elif i == len(layers) - 1 and spec.sigmoid_head:
            outputs.append("p")
        else:
            outputs.append(f"h{number}")
    binary = losses.n_outputs(s.loss, s.n_classes) == 1
    target = ("y = y.reshape(-1, 1).float()  # float targets of shape (N, 1), as the loss wants"
              if binary else "y = y.reshape(-1).long()  # class indices of shape (N,)")
    focal = f"\n\n{losses.FOCAL_SOURCE}\n" if s.loss == "focal" else ""
    source = datasets.generator_source(s.dataset).rstrip()
    imports = (["import math", ""] if "math." in source else []) + [
        "import torch", "import torch.nn as nn"]
    if s.loss == "focal":
        imports.append("import torch.nn.functional as F")
    imports.append("from torch.utils.data import DataLoader, TensorDataset")
    hyper = "".join(f", {k}={v!r}" for k, v in s.hyper().items())
    optimizer = f"torch.optim.{OPTIMIZERS[s.optimizer].cls}(model.parameters(), lr={s.lr!r}{hyper})"
    n = s.size
    call = datasets.generator_call(s.dataset, n, s.noise, s.n_classes,
                                   generator="torch.Generator().manual_seed(seed)")
    replay = (f"""for _ in range({done}):  # the {done} steps before this one, the lesson's loop
    xb, yb = next(stream)
    optimizer.zero_grad()
    loss = loss_fn(model(xb), yb)
    loss.backward()
    optimizer.step()
""" if done else "")
    return f'''"""Step {done + 1} of this run, op by op: zero_grad, forward, loss, backward, step"""
{chr(10).join(imports)}

torch.set_printoptions(precision=6, sci_mode=False)
seed = {s.seed}


{source}

{focal}
X, y = {call}
{target}

torch.manual_seed(seed)  # the initial weights
model = nn.Sequential(
{layer_lines}
)
loss_fn = {losses.LOSSES[s.loss].code}
optimizer = {optimizer}
loader = DataLoader(TensorDataset(X, y), batch_size={s.batch_size}, shuffle={s.shuffle},
                    generator=torch.Generator().manual_seed(seed))
names = {names!r}  # the page's names for model.named_parameters()
outputs = {outputs!r}  # the page's name for each layer's output


def batches():
    """One epoch after another, as a training loop's two for-loops serve them."""
    while True:
        yield from loader


stream = batches()
{replay}
xb, yb = next(stream)
print("step {done + 1}")
print("x =", xb)
print("y =", yb)

# 1. optimizer.zero_grad()
for name, p in model.named_parameters():
    print(f"{{names[name]}}.grad before zero_grad() =", p.grad)
optimizer.zero_grad()  # set_to_none=True: every .grad becomes None
for name, p in model.named_parameters():
    print(f"{{names[name]}}.grad after zero_grad() =", p.grad)

# 2. forward, one layer at a time: exactly what model(xb) does
h = xb
for i, layer in enumerate(model):
    h = layer(h)
    print(f"model[{{i}}] {{type(layer).__name__}}: {{outputs[i]}} =", h.detach())

# 3. the loss
loss = loss_fn(h, yb)
print("L =", loss.item())

# 4. loss.backward(), with a hook on every node of the graph it walks
param_of = {{p: names[name] for name, p in model.named_parameters()}}
nodes, todo = [], [loss.grad_fn]
while todo:
    fn = todo.pop(0)
    if fn is not None and fn not in nodes:
        nodes.append(fn)
        todo.extend(f for f, _ in fn.next_functions)


def report(fn):
    def hook(grad_inputs, grad_outputs):
        kind = type(fn).__name__
        if kind == "AccumulateGrad":
            kind += " -> " + param_of[fn.variable] + ".grad"
        print(f"backward {{kind}}: gradient arriving =", grad_outputs[0])
    return hook


for fn in nodes:
    fn.register_hook(report(fn))
loss.backward()  # the hooks print in the order PyTorch's engine runs the nodes
for name, p in model.named_parameters():
    print(f"{{names[name]}}.grad =", p.grad)

# 5. optimizer.step()
before = {{name: p.detach().clone() for name, p in model.named_parameters()}}
optimizer.step()
for name, p in model.named_parameters():
    print(f"{{names[name]}} before step() =", before[name])
    print(f"{{names[name]}} update =", p.detach() - before[name])
    print(f"{{names[name]}} after step() =", p.detach())
    for key, value in optimizer.state[p].items():
        print(f"optimizer.state[{{names[name]}}][{{key!r}}] =", value)
with torch.no_grad():
    print("L after the step =", loss_fn(model(xb), yb).item())
'''


def _module(m: object) -> str:
    """How a layer is written in nn.Sequential(...): Linear(2, 4), ReLU(), Sigmoid()."""
    kind = type(m).__name__
    if kind == "Linear":
        return f"Linear({m.in_features}, {m.out_features})"  # type: ignore[attr-defined]
    return f"{kind}()"
