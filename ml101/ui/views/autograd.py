"""The Autograd graph viewer: an expression in, PyTorch's recorded graph out, walked
backward one node at a time.

Main picture (`ag_picture`): the graph PyTorch recorded, with every value and gradient,
drawn at the backward step the slider `ag_step` holds. The player (Play / Back / Step /
Reset) moves that slider; the expression and variables sit just above it, so everything
that moves the picture shares the first screen.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ml101.autograd import describe, lessons
from ml101.autograd import graph as ag
from ml101.autograd.charts import shape_of, to_dot
from ml101.autograd.code import code_for
from ml101.autograd.expression import (
    EXPRESSION_ALLOWED,
    VARIABLES_ALLOWED,
    parse_program,
    parse_variables,
)
from ml101.inputs import InputError
from ml101.ui import controls, state
from ml101.ui.layout import explain, show_code
from ml101.ui.player import Player, Tick, Transport

# Tab labels are URL values (ag_tab=Gradient+accumulation): they stay as they are.
TABS = ["Gradient check", "Gradient accumulation", "no_grad and detach", "Errors learners meet"]
# On a phone: the four tab labels wrap rather than hide the last two, and the graph keeps
# a readable size and scrolls sideways instead of shrinking its text to a few pixels.
PHONE_CSS = """<style>
.st-key-ag_tab [role="tablist"] { flex-wrap: wrap; }
@media (max-width: 640px) {
  .st-key-ag_picture [data-testid="stGraphVizChart"] { overflow-x: auto; }
  .st-key-ag_picture [data-testid="stGraphVizChart"] svg { min-width: 760px; }
}
</style>"""
STEP = "ag_step"  # the backward step: a URL parameter, 0 = the forward pass only
TICK_S = 1.0  # Play runs one node a second: slow enough to read each step aloud


def graph_stage() -> ag.Trace:
    """Expression, variables and the lesson's presets; the backward walk's transport and
    the requires_grad switches; the graph; the chain rule at the current step."""
    st.html(PHONE_CSS)
    expr_col, vars_col = st.columns([5, 3])
    with expr_col:
        expr_text = controls.text_input("Expression", key="ag_expr",
                                        value=lessons.PRESETS[0].program,
                                        help=f"Allowed: {EXPRESSION_ALLOWED}.")
    with vars_col:
        vars_text = controls.text_input("Variables", key="ag_vars",
                                        value=lessons.PRESETS[0].variables,
                                        help=f"Allowed: {VARIABLES_ALLOWED}.")
    try:
        variables = parse_variables(vars_text)
    except InputError as err:
        st.error(f"Variables: {err}")
        st.stop()
    transport_col, switch_col = st.columns([3, 2], vertical_alignment="center")
    with switch_col, st.container(horizontal=True, gap="small", vertical_alignment="center"):
        requires_grad = {name: bool(controls.toggle(
            f"{name}.requires_grad", key=f"ag_rg_{name}", value=True,
            help=f"Track operations on {name}, so that backward() fills {name}.grad"))
            for name in variables}
        with st.popover("Experiments", icon=":material/science:",
                        help="The lesson's experiments, one click each"):
            for preset in lessons.PRESETS:
                st.button(preset.label, key=f"ag_p_{preset.key}",
                          on_click=controls.apply_preset, args=(preset.controls(),))
    try:
        tr = ag.trace(parse_program(expr_text, tuple(variables)), variables, requires_grad)
    except InputError as err:
        st.error(f"Expression: {err}")
        st.stop()
    if not tr.steps:
        with st.container(key="ag_picture"):
            st.info(tr.note + " Switch a variable's requires_grad on to see a graph.")
        _results(tr)
        return tr
    # the buttons are keyed ag_bw_play, ag_bw_step, ...: "ag_step" is the slider's URL key
    player = Player("ag", _walk(len(tr.steps)), tick_s=TICK_S, what="walking a graph",
                    keys="ag_bw")
    player.live(lambda: _picture(tr))
    with transport_col:  # drawn after the slider, so Back and Step know the step shown
        player.controls()
    return tr


def _walk(n: int) -> Transport:
    """The backward walk as a transport: a step is one node, the start the forward pass."""
    def now() -> int:
        return min(max(int(st.session_state.get(STEP, n)), 0), n)

    def go(k: int) -> None:
        st.session_state[STEP] = min(max(k, 0), n)

    def advance(seconds: float, _speed: object) -> Tick:
        go(now() + max(1, round(seconds / TICK_S)))
        return Tick.DONE if now() >= n else Tick.MOVED

    def step() -> Tick:
        go(now() + 1)
        return Tick.DONE if now() >= n else Tick.MOVED

    return Transport(advance=advance, step=step, reset=lambda: go(0),
                     back=lambda: go(now() - 1), at_end=lambda: now() >= n,
                     at_start=lambda: now() <= 0)


def _picture(tr: ag.Trace) -> None:
    """The animated part: the step slider, the graph at that step, the chain rule."""
    n = len(tr.steps)
    if tr.seeded_with_ones:
        out = tr.program.output
        st.caption(f"`{out}` holds {tr.output.numel()} numbers, and backward() without an "
                   f"argument works only for one number: this page calls "
                   f"`{out}.backward(torch.ones_like({out}))`, which gives the same gradients "
                   f"as `{out}.sum().backward()`.")
    picture, scrubber = st.container(key="ag_picture"), st.container()
    with scrubber:  # drawn first, shown under the graph: it says which step the graph shows
        state.clamp(STEP, 0, n)
        step = controls.slider(
            "Backward step (0: the forward pass only)", 0, n, value=n, key=STEP,
            help="Each step runs one node of the backward pass, in the order PyTorch's "
            "engine runs them. Play walks them all; Back and Step move one node.")
    with picture:
        st.graphviz_chart(to_dot(tr, step), width="stretch", alt=describe.graph(tr, step))
        st.caption(":blue[Blue: forward values.] :orange[Orange: gradients. An arrow turns "
                   "orange once the node it points to has sent its gradient back; where "
                   "several arrows leave one node, each shows its share, and the engine adds "
                   "them up.] Arrows point the way values flow forward.")
        with st.expander("The graph as a list", icon=":material/format_list_numbered:"):
            st.markdown("\n".join(f"{i}. {_plain(line)}" for i, line in
                                   enumerate(describe.graph_list(tr, step), start=1)))
    chain_col, result_col = st.columns([3, 2])
    with chain_col, st.container(border=True):
        _chain_rule(tr, step)
    with result_col:
        _results(tr)


def _chain_rule(tr: ag.Trace, step: int) -> None:
    out = tr.program.output
    st.markdown(f"#### Step {step} of {len(tr.steps)}")
    rule = ag.chain_rule(tr, step)
    if rule is None:
        st.markdown(f"The forward pass has run: every node holds its value and no gradient "
                    f"exists yet. `{out}.backward()` starts from d{out}/d{out} = 1 and walks "
                    "the arrows backwards.")
        return
    st.markdown(f"**{rule.node.title}**")
    if len(rule.arrivals) > 1:
        paths = " + ".join(g for _, g in rule.arrivals)
        st.markdown(f"Gradients arrive along {len(rule.arrivals)} paths, and the engine adds "
                    f"them before this node runs: {paths} = "
                    f"**{ag.fmt_tensor(rule.step.upstream)}**")
    if rule.node.leaf:
        st.markdown(f"AccumulateGrad adds the arriving gradient "
                    f"{ag.fmt_tensor(rule.step.upstream)} into `{rule.node.leaf}.grad`, "
                    f"which is now **{ag.fmt_tensor(rule.step.grad_after)}**.")
    elif len(rule.arrivals) <= 1:
        st.markdown(f"Gradient arriving, ∂{out}/∂(this node): "
                    f"**{ag.fmt_tensor(rule.step.upstream)}**")
    for line in rule.lines:
        if line.local is None:
            st.markdown(f"→ to *{line.target}*: the vector-Jacobian product of the arriving "
                        f"gradient with this op gives **{line.passed}**")
        else:
            times = "⊙" if line.per_element else "×"
            st.markdown(f"→ to *{line.target}*:  \nupstream {line.upstream} {times} "
                        f"local {line.local} = **{line.passed}**")
    if any(line.per_element for line in rule.lines):
        st.caption("⊙ multiplies element by element: each number's own chain rule.")


def _results(tr: ag.Trace) -> None:
    """The output and every .grad once backward() has run to the end."""
    out = tr.program.output
    st.metric(f"{out}, shape {shape_of(tr.output)}", ag.fmt_tensor(tr.output))
    for name, grad in tr.leaf_grads().items():
        st.metric(f"{name}.grad after backward",
                  ag.fmt_tensor(grad) if grad is not None else "None")
    constants = [n for n, rg in tr.requires_grad.items() if not rg]
    if constants:
        st.caption(", ".join(constants) + " has requires_grad=False: PyTorch treats it as a "
                   "constant, records no node for it, and leaves its .grad at None.")


# ---------------------------------------------------------------- the four experiments


def experiments(tr: ag.Trace) -> None:
    """The lesson's experiments on the same expression, one tab each (only the open one
    runs)."""
    tabs = controls.tabs(TABS, key="ag_tab")
    for tab, render in zip(tabs, (_gradient_check, _accumulation, _tracking, _errors),
                           strict=True):
        if tab.open is not False:
            with tab:
                render(tr)


def _gradient_check(tr: ag.Trace) -> None:
    rows = ag.gradient_check(tr)
    if not rows:
        st.info("Nothing to check: no variable with requires_grad=True reaches the output.")
        return
    out = tr.program.output
    table = pd.DataFrame({
        "variable": [r.variable + r.element for r in rows],
        "autograd": [r.autograd for r in rows],
        "finite difference": [r.finite_difference for r in rows],
        "|difference|": [r.difference for r in rows],
    })
    preset = lessons.matching_preset(tr.program.source, tuple(tr.variables))
    if preset is not None:
        x, by_hand = preset.by_hand(tr.variables["x"])
        table[f"by hand: {preset.formula}"] = by_hand.reshape(-1).tolist()
        st.markdown(f"By hand, d{out}/dx = **{preset.formula}**, which at x = "
                    f"{ag.fmt_tensor(x)} is **{ag.fmt_tensor(by_hand)}**; autograd says "
                    f"**{ag.fmt_tensor(tr.leaf_grads()['x'])}**.")
    st.dataframe(table, hide_index=True, width="stretch",
                 column_config={c: st.column_config.NumberColumn(format="%.6g")
                                for c in table.columns[1:]})
    st.caption(f"Central difference: (f(x+h) − f(x−h)) / 2h with h = {ag.FD_STEP:g}, in "
               "float64, one number at a time. It agrees with autograd to about 1e-8 wherever "
               "f is smooth; at a kink (relu or abs at 0) they differ.")


def _press(acc: lessons.GradAccumulator, label: str | None) -> None:
    """A button's callback: one backward() (label y1 or y2), or zeroing (None)."""
    st.session_state.pop("ag_acc_err", None)
    try:
        if label is None:
            acc.zero()
        else:
            acc.backward(label, st.session_state[f"ag_{label}"])
    except InputError as err:
        st.session_state["ag_acc_err"] = f"{label}: {err}"


def _accumulation(tr: ag.Trace) -> None:
    acc = state.rebuilt("ag_acc", (tuple(tr.variables.items()),
                                   tuple(tr.requires_grad.items())),
                        lambda: lessons.GradAccumulator(tr.variables, tr.requires_grad))
    st.markdown("Each press builds a fresh graph from the **same** leaf tensors and calls "
                "backward() once. AccumulateGrad adds the new gradient into the `.grad` "
                "already there instead of replacing it, so without zeroing the numbers pile "
                "up: this is why training loops call `optimizer.zero_grad()`.")
    c1, c2 = st.columns(2)
    with c1:
        controls.text_input("y1 =", key="ag_y1", value="x**2")
        st.button("y1.backward()", key="ag_bk1", on_click=_press, args=(acc, "y1"),
                  width="stretch")
    with c2:
        controls.text_input("y2 =", key="ag_y2", value="x + 1")
        st.button("y2.backward()", key="ag_bk2", on_click=_press, args=(acc, "y2"),
                  width="stretch")
    st.button("Zero the gradient (x.grad.zero_())", key="ag_zero", on_click=_press,
              args=(acc, None))
    if "ag_acc_err" in st.session_state:
        st.error(st.session_state["ag_acc_err"])
    last = acc.log[-1] if acc.log else None
    for col, (name, grad) in zip(st.columns(max(len(acc.leaves), 3)), acc.grads().items(),
                                 strict=False):
        added = last.added.get(name) if last else None
        col.metric(f"{name}.grad now", ag.fmt_tensor(grad) if grad is not None else "None",
                   delta=f"+{ag.fmt_tensor(added)}" if added is not None else None)
    if not acc.log:
        st.caption("Press y1.backward(), then y2.backward() without zeroing. With x = 3, "
                   "y1 = x² adds 2x = 6 and y2 = x + 1 adds 1: x.grad reads 6, then 7.")
        return
    st.dataframe(pd.DataFrame({
        "press": range(1, len(acc.log) + 1),
        "what ran": [e.action for e in acc.log],
        **{f"{n}.grad after": [ag.fmt_tensor(e.grads[n]) if e.grads[n] is not None
                               else "None" for e in acc.log] for n in acc.leaves},
    }), hide_index=True, width="stretch")
    show_code(code_for(acc), title="Show the code for these presses")


def _tracking(tr: ag.Trace) -> None:
    st.markdown(f"The same `{tr.program.output}`, computed three ways from the same values:")
    for col, res in zip(st.columns(3), ag.tracking_modes(tr), strict=True):
        with col:
            st.code(res.code, language="python")
            st.markdown(f"value **{res.value}**  \nrequires_grad **{res.requires_grad}**  \n"
                        f"grad_fn **{res.grad_fn}**  \ngraph nodes recorded "
                        f"**{res.graph_nodes}**")
    st.caption("Same numbers, but under no_grad or on a detached input PyTorch records "
               "nothing, so there is nothing for backward() to walk: use them for inference "
               "and for values you want to treat as constants.")


def _errors(_tr: ag.Trace) -> None:
    for demo in lessons.error_demos():
        with st.container(border=True):
            st.markdown(f"**{demo.title}**")
            st.code(demo.code, language="python")
            st.warning(f"RuntimeError: {demo.message}", icon=":material/warning:")
            st.markdown(demo.why)
            st.code(demo.fix_code, language="python")
            st.info(f"With the fix: {demo.fix_result}", icon=":material/check_circle:")


# ---------------------------------------------------------------- explanation and code


def explanation(tr: ag.Trace) -> None:
    """What the graph means, and the script that rebuilds it."""
    explain(
        "PyTorch builds the graph while your expression runs: every operation on a tensor "
        "that requires grad leaves behind a node, its `grad_fn` (`MulBackward0` for `*`, "
        "`PowBackward0` for `**`, `MeanBackward0` for `.mean()`), linked to the nodes of "
        "its inputs through `next_functions`. A variable you created yourself is a *leaf*; "
        "its node is `AccumulateGrad`, which adds whatever gradient arrives into `.grad`."
        "\n\n"
        "`backward()` starts at the output with gradient 1 and runs each node once. Each "
        "node multiplies the gradient that arrives by its own local derivative and passes "
        "the product on: that is the chain rule, and the steps show it with the real "
        "numbers.\n\n"
        "Two different things add gradients up. **Within one backward()**, where several "
        "paths reach the same node (x appears twice in x² + 2x), the engine adds the "
        "contributions arriving along every path before that node runs: x's AccumulateGrad "
        "runs once, with 4 + 2 = 6 at x = 2. **Across backward() calls**, AccumulateGrad adds the "
        "new gradient into whatever `.grad` already holds, so a second call makes it grow "
        "until you zero it (the Gradient accumulation tab).\n\n"
        "micrograd's `draw_dot` shows value and gradient per node but only for scalars; "
        "torchviz's `make_dot` shows these same grad_fn nodes but no values or gradients. "
        "This graph is walked from your tensors' real `grad_fn` and shows both, for "
        "tensors too.",
        title="What is going on?",
    )
    show_code(code_for(tr))


def _plain(text: str) -> str:
    """Text shown as it is in Markdown: products and names keep their * and _."""
    return text.replace("\\", "\\\\").replace("*", "\\*").replace("_", "\\_")
