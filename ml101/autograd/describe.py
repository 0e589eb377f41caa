"""The autograd graph in words: a one-sentence description (the picture's accessible
name) and an ordered list of its nodes with their values and gradients, for a learner who
cannot see the drawing. Both read the same Trace the drawing does (`charts.to_dot`)."""

from __future__ import annotations

from ml101.autograd.charts import shape_of
from ml101.autograd.graph import Trace, fmt_tensor


def graph(tr: Trace, step_no: int) -> str:
    """'The graph of y = a * b + c: 3 backward nodes, 3 leaves; after step 2 of 5, ...'."""
    n = len(tr.steps)
    where = ("the forward pass only, no gradient yet" if step_no == 0 else
             f"after backward step {step_no} of {n}, the node just run: "
             f"{tr.nodes[tr.steps[step_no - 1].node].title}")
    return (f"The graph PyTorch recorded for {tr.program.output}: {len(tr.nodes)} backward "
            f"nodes and {len(tr.leaves)} leaf variables, arrows from inputs to the output; "
            f"{where}. The list below the graph reads it node by node.")


def graph_list(tr: Trace, step_no: int) -> list[str]:
    """One line per node in the order the engine runs them, then one per leaf: what each
    holds, its value and the gradient it has received by `step_no`."""
    grads = tr.node_grads(step_no)
    leaf_grads = tr.leaf_grads(step_no)
    ran = {s.node for s in tr.steps[:step_no]}
    order = [s.node for s in tr.steps] + [x.index for x in tr.nodes
                                          if x.index not in {s.node for s in tr.steps}]
    by_index = {x.index: x for x in tr.nodes}
    lines = [f"Output {tr.program.output} {shape_of(tr.output)}: value "
             f"{fmt_tensor(tr.output)}"
             + (f"; backward starts from {'ones' if tr.seeded_with_ones else '1'}"
                if step_no else "")]
    for i in order:
        node = by_index[i]
        what = node.title
        if node.record is not None:
            what += f", value {fmt_tensor(node.record.tensor)}"
        if i in grads and not node.leaf:
            what += f", gradient in {fmt_tensor(grads[i])}"
        lines.append(what + (" (has run)" if i in ran else ""))
    for name, leaf in tr.leaves.items():
        grad = leaf_grads.get(name)
        lines.append(f"Leaf {name} {shape_of(leaf)}: value {fmt_tensor(leaf)}, .grad "
                     + (fmt_tensor(grad) if grad is not None else "None"))
    return lines
