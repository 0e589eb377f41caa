"""The autograd graph drawn as Graphviz DOT, at any backward step.

Values in blue, gradients in orange, the node that just ran outlined: the colours are the
app's palette (`ml101.style`). Unlike micrograd's draw_dot it handles tensors; unlike
torchviz's make_dot it shows values and gradients and needs no Graphviz binary (the
browser lays the DOT out).
"""

from __future__ import annotations

import html

import torch

from ml101 import style
from ml101.autograd.expression import Value
from ml101.autograd.graph import Trace, fmt_tensor
from ml101.inputs import fmt_shape

VALUE_COLOUR = style.SERIES[0]
GRAD_COLOUR = style.SERIES[1]
VARIABLE_FILL = "#EAF3FA"  # a pale tint of VALUE_COLOUR: leaves and the output
CURRENT_FILL = "#FDEEE4"  # a pale tint of GRAD_COLOUR: the node that just ran


def shape_of(value: Value) -> str:
    """A value's shape as every page prints it: () for a single number."""
    return fmt_shape(tuple(value.shape)) if isinstance(value, torch.Tensor) else "()"


def to_dot(tr: Trace, step_no: int) -> str:
    """The graph after `step_no` backward steps; 0 = forward pass only.

    Arrows follow the forward pass (inputs to output); once a node has run its backward
    step, the arrows it sends gradients back along turn orange. Where several arrows
    leave one node (several paths reach it), each is labelled with its own share, which
    the engine adds up; a lone arrow carries exactly the "grad in" of the node it leaves,
    so it is not labelled again (a long chain stays readable)."""
    grads = tr.node_grads(step_no)
    leaf_grads = tr.leaf_grads(step_no)
    current = tr.steps[step_no - 1].node if 1 <= step_no <= len(tr.steps) else None
    passed_on: dict[tuple[int, int], torch.Tensor] = {}
    for s in tr.steps[:step_no]:
        for i, g in enumerate(s.passed):
            if g is not None:
                passed_on[(s.node, i)] = g
    fan_out: dict[int, int] = {}
    for node in tr.nodes:
        for src in node.inputs:
            if src is not None:
                fan_out[src] = fan_out.get(src, 0) + 1
    out = ['digraph autograd {', 'rankdir=LR; bgcolor="transparent"; nodesep=0.25;',
           'node [fontname="Helvetica", fontsize=13, shape=plain];',
           f'edge [fontname="Helvetica", fontsize=12, color="{style.MUTED}"];']
    for node in tr.nodes:
        rows = [f'<TR><TD><B>{_h(node.kind)}</B></TD></TR>']
        if node.leaf:
            rows.append(f'<TR><TD>adds into {_h(node.leaf)}.grad</TD></TR>')
        elif node.record:
            name = f"{node.record.name} = " if node.record.name else ""
            rows.append(f'<TR><TD>{_h(name + node.record.text)}  ({_h(node.record.op)})</TD></TR>')
            rows.append(_row("value", node.record.tensor, VALUE_COLOUR))
        else:
            rows.append('<TR><TD><I>internal step of the op above</I></TD></TR>')
        if node.index in grads and not node.leaf:
            rows.append(_row("grad in", grads[node.index], GRAD_COLOUR))
        hot = node.index == current
        border = f'COLOR="{style.HIGHLIGHT}"' if hot else 'COLOR="#9E9E9E"'
        fill = CURRENT_FILL if hot else ("#F5F5F5" if node.leaf else "#FFFFFF")
        table = (f'<TABLE BORDER="{3 if hot else 1}" {border} CELLBORDER="0" CELLSPACING="0" '
                 f'CELLPADDING="3" BGCOLOR="{fill}" STYLE="rounded">{"".join(rows)}</TABLE>')
        out.append(f'n{node.index} [label=<{table}>];')
        for i, src in enumerate(node.inputs):
            if src is None:
                continue
            g = passed_on.get((node.index, i))
            label = f' label=<<FONT COLOR="{GRAD_COLOUR}">{_h(fmt_tensor(g))}</FONT>>' \
                if g is not None and fan_out[src] > 1 else ""
            line = f' color="{GRAD_COLOUR}" penwidth=2' if g is not None else ""
            out.append(f'n{src} -> n{node.index} [tooltip="input {i}"{label}{line}];')
    for name, leaf in tr.leaves.items():
        acc = next((n for n in tr.nodes if n.leaf == name), None)
        if acc is None:
            continue
        rows = [f'<TR><TD><B>{_h(name)}</B>  {_h(shape_of(leaf))}  leaf</TD></TR>',
                _row("value", leaf, VALUE_COLOUR)]
        grad = leaf_grads.get(name)
        rows.append(_row(".grad", grad, GRAD_COLOUR) if grad is not None
                    else f'<TR><TD><FONT COLOR="{style.MUTED}">.grad = None</FONT></TD></TR>')
        out.append(_variable(f"v_{name}", rows))
        out.append(f'v_{name} -> n{acc.index} [style=dashed, arrowhead=none];')
    if tr.nodes:
        rows = [f'<TR><TD><B>{_h(tr.program.output)}</B>  {_h(shape_of(tr.output))}  '
                'output</TD></TR>', _row("value", tr.output, VALUE_COLOUR)]
        if step_no >= 1:
            seed = "ones (not a scalar)" if tr.seeded_with_ones else "1"
            rows.append(f'<TR><TD><FONT COLOR="{GRAD_COLOUR}">backward seed = {seed}'
                        '</FONT></TD></TR>')
        out.append(_variable("out", rows))
        out.append(f'n{tr.nodes[0].index} -> out;')
    out.append("}")
    return "\n".join(out)


def _variable(name: str, rows: list[str]) -> str:
    """A box for a leaf variable or the output: the tensors the learner names."""
    return (f'{name} [label=<<TABLE BORDER="2" COLOR="{VALUE_COLOUR}" CELLBORDER="0" '
            f'CELLSPACING="0" CELLPADDING="4" BGCOLOR="{VARIABLE_FILL}">{"".join(rows)}'
            '</TABLE>>];')


def _h(text: str) -> str:
    return html.escape(text, quote=True)


def _row(label: str, value: Value, colour: str) -> str:
    return f'<TR><TD><FONT COLOR="{colour}">{_h(label)} = {_h(fmt_tensor(value))}</FONT></TD></TR>'
