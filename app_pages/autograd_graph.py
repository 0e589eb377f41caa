"""Autograd graph viewer: type an expression, see PyTorch's graph, walk backward through it."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ml101.autograd import graph as ag
from ml101.autograd import lessons
from ml101.autograd.expression import FUNCTIONS, ExprError, parse_program, parse_variables
from ml101.ui import controls
from ml101.ui.layout import explain, page_header, show_code

TABS = ["Gradient check", "Gradient accumulation", "no_grad and detach", "Errors learners meet"]

page_header(
    "Autograd graph viewer",
    "Type an expression and see the graph PyTorch records for it, with every value and "
    "gradient in place.  \nThen move the backward-step slider to watch the chain rule run "
    "one node at a time, in the order PyTorch's engine runs it.",
)

st.caption("The lesson's experiments:")
for col, preset in zip(st.columns(len(lessons.PRESETS)), lessons.PRESETS, strict=True):
    col.button(preset.label, key=f"ag_p_{preset.key}", on_click=controls.apply_preset,
               args=(preset.controls(),), width="stretch")

left, right = st.columns([3, 2])
with left:
    expr_text = controls.text_input(
        "Expression", key="ag_expr", value=lessons.PRESETS[0].program,
        help="Numbers, variables, + - * / ** @, parentheses and the functions "
        + ", ".join(sorted(FUNCTIONS)) + " (also as methods, e.g. z.mean()). Several "
        "statements separated by ; name intermediate results: y = 2*x; z = y**2; out = z.mean()",
    )
with right:
    vars_text = controls.text_input(
        "Variables", key="ag_vars", value=lessons.PRESETS[0].variables,
        help="name = value, separated by ;. A value is a number, a list like [1, 2, 3], "
        "or a small matrix like [[1, 2], [3, 4]] (at most 64 numbers each, 6 variables).",
    )

try:
    variables = parse_variables(vars_text)
except ExprError as err:
    st.error(f"Variables: {err}")
    st.stop()

toggle_cols = st.columns(max(len(variables), 4))
requires_grad: dict[str, bool] = {}
for col, name in zip(toggle_cols, variables, strict=False):
    with col:
        requires_grad[name] = bool(controls.toggle(
            f"{name}.requires_grad", key=f"ag_rg_{name}", value=True,
            help=f"Track operations on {name}, so that backward() fills {name}.grad"))

try:
    program = parse_program(expr_text, tuple(variables))
    tr = ag.trace(program, variables, requires_grad)
except ExprError as err:
    st.error(f"Expression: {err}")
    st.stop()

out_name = program.output
metrics = st.columns(1 + len(variables))
metrics[0].metric(f"{out_name}  {ag.fmt_shape(tr.output)}", ag.fmt_tensor(tr.output))
for col, (name, grad) in zip(metrics[1:], tr.leaf_grads().items(), strict=True):
    col.metric(f"{name}.grad after backward", ag.fmt_tensor(grad) if grad is not None else "None")

constants = [n for n, rg in requires_grad.items() if not rg]
if constants:
    st.caption(", ".join(constants) + " has requires_grad=False: PyTorch treats it as a "
               "constant, records no node for it, and leaves its .grad at None.")

n_steps = len(tr.steps)
if n_steps == 0:
    st.info(tr.note + " Switch a variable's requires_grad on to see a graph.")
else:
    if tr.seeded_with_ones:
        st.info(f"`{out_name}` holds {tr.output.numel()} numbers, and backward() without an "
                f"argument works only for one number. This page calls "
                f"`{out_name}.backward(torch.ones_like({out_name}))`, which gives the same "
                f"gradients as `{out_name}.sum().backward()`.")
    if st.session_state.get("ag_step", 0) > n_steps:
        st.session_state["ag_step"] = n_steps
    step = controls.slider(
        "Backward step", 0, n_steps, value=n_steps, key="ag_step",
        help="0 shows the forward pass only. Each step runs one node of the backward pass, "
        "in the order PyTorch runs them.",
    )
    graph_box, chain_col = st.container(), st.container(border=True)
    with graph_box:
        st.graphviz_chart(ag.to_dot(tr, step), width="stretch")
        st.caption(":blue[Blue: forward values.] :orange[Orange: gradients, written on each "
                   "arrow once the node above it has run its backward step.] "
                   "Arrows point the way values flow forward.")
    with chain_col:
        st.markdown(f"#### Step {step} of {n_steps}")
        rule = ag.chain_rule(tr, step)
        if rule is None:
            st.markdown(f"The forward pass has run: every node holds its value and no "
                        f"gradient exists yet. `{out_name}.backward()` starts from "
                        f"d{out_name}/d{out_name} = 1 and walks the arrows backwards.")
        else:
            node, lines = rule
            current = tr.steps[step - 1]
            st.markdown(f"**{node.title}**")
            if node.leaf:
                st.markdown(f"AccumulateGrad adds the arriving gradient "
                            f"{ag.fmt_tensor(current.upstream)} into `{node.leaf}.grad`, "
                            f"which is now **{ag.fmt_tensor(current.grad_after)}**.")
            else:
                st.markdown(f"Gradient arriving, ∂{out_name}/∂(this node): "
                            f"**{ag.fmt_tensor(current.upstream)}**")
            for line in lines:
                if line.local is None:
                    st.markdown(f"→ to *{line.target}*: the vector-Jacobian product of the "
                                f"arriving gradient with this op gives **{line.passed}**")
                else:
                    times = "⊙" if line.per_element else "×"
                    st.markdown(f"→ to *{line.target}*:  \nupstream {line.upstream} {times} "
                                f"local {line.local} = **{line.passed}**")
            if any(line.per_element for line in lines):
                st.caption("⊙ multiplies element by element: each number's own chain rule.")

tabs = controls.tabs(TABS, key="ag_tab")

with tabs[0]:
    if tabs[0].open:
        rows = ag.gradient_check(program, variables, requires_grad)
        preset = lessons.matching_preset(expr_text, tuple(variables))
        if not rows:
            st.info("Nothing to check: no variable with requires_grad=True reaches the output.")
        else:
            table = pd.DataFrame({
                "variable": [r.variable + r.element for r in rows],
                "autograd": [r.autograd for r in rows],
                "finite difference": [r.finite_difference for r in rows],
                "|difference|": [r.difference for r in rows],
            })
            if preset is not None:
                x, by_hand = preset.by_hand(variables["x"])
                table[f"by hand: {preset.formula}"] = by_hand.reshape(-1).tolist()
                st.markdown(f"By hand, d{out_name}/dx = **{preset.formula}**, which at "
                            f"x = {ag.fmt_tensor(x)} is **{ag.fmt_tensor(by_hand)}**; "
                            f"autograd says **{ag.fmt_tensor(tr.leaf_grads()['x'])}**.")
            st.dataframe(table, hide_index=True, width="stretch",
                         column_config={c: st.column_config.NumberColumn(format="%.6g")
                                        for c in table.columns[1:]})
            st.caption(f"Central difference: (f(x+h) − f(x−h)) / 2h with h = {ag.FD_STEP:g}, "
                       "in float64, one number at a time. It agrees with autograd to about "
                       "1e-8 wherever f is smooth; at a kink (relu or abs at 0) they differ.")

with tabs[1]:
    if tabs[1].open:
        sig = (vars_text, tuple(requires_grad.items()))
        acc = st.session_state.get("ag_acc")
        if acc is None or st.session_state.get("ag_acc_sig") != sig:
            acc = lessons.GradAccumulator(variables, requires_grad)
            st.session_state["ag_acc"], st.session_state["ag_acc_sig"] = acc, sig

        def press(label: str | None) -> None:
            st.session_state.pop("ag_acc_err", None)
            try:
                if label is None:
                    st.session_state["ag_acc"].zero()
                else:
                    st.session_state["ag_acc"].backward(label, st.session_state[f"ag_{label}"])
            except ExprError as e:
                st.session_state["ag_acc_err"] = f"{label}: {e}"

        st.markdown("Each press builds a fresh graph from the **same** leaf tensors and calls "
                    "backward() once. PyTorch adds the new gradient to `.grad` instead of "
                    "replacing it, so without zeroing the numbers pile up.")
        c1, c2 = st.columns(2)
        with c1:
            controls.text_input("y1 =", key="ag_y1", value="x**2")
            st.button("y1.backward()", key="ag_bk1", on_click=press, args=("y1",),
                      width="stretch")
        with c2:
            controls.text_input("y2 =", key="ag_y2", value="x + 1")
            st.button("y2.backward()", key="ag_bk2", on_click=press, args=("y2",),
                      width="stretch")
        st.button("Zero the gradient (x.grad.zero_())", key="ag_zero", on_click=press,
                  args=(None,))
        if "ag_acc_err" in st.session_state:
            st.error(st.session_state["ag_acc_err"])
        last = acc.log[-1] if acc.log else None
        gcols = st.columns(max(len(acc.leaves), 3))
        for col, (name, grad) in zip(gcols, acc.grads().items(), strict=False):
            added = last.added.get(name) if last else None
            col.metric(f"{name}.grad now", ag.fmt_tensor(grad) if grad is not None else "None",
                       delta=f"+{ag.fmt_tensor(added)}" if added is not None else None)
        if acc.log:
            st.dataframe(pd.DataFrame({
                "press": range(1, len(acc.log) + 1),
                "what ran": [e.action for e in acc.log],
                **{f"{n}.grad after": [ag.fmt_tensor(e.grads[n]) if e.grads[n] is not None
                                       else "None" for e in acc.log] for n in acc.leaves},
            }), hide_index=True, width="stretch")
            show_code(acc.code(), title="Show the code for these presses")
        else:
            st.caption("Press y1.backward(), then y2.backward() without zeroing. With x = 3, "
                       "y1 = x² adds 2x = 6 and y2 = x + 1 adds 1: x.grad reads 6, then 7.")

with tabs[2]:
    if tabs[2].open:
        st.markdown(f"The same `{out_name}`, computed three ways from the same values:")
        for col, res in zip(st.columns(3), ag.tracking_modes(program, variables, requires_grad),
                            strict=True):
            with col:
                st.code(res.code, language="python")
                st.markdown(f"value **{res.value}**  \nrequires_grad **{res.requires_grad}**  \n"
                            f"grad_fn **{res.grad_fn}**  \ngraph nodes recorded "
                            f"**{res.graph_nodes}**")
        st.caption("Same numbers, but under no_grad or on a detached input PyTorch records "
                   "nothing, so there is nothing for backward() to walk: use them for inference "
                   "and for values you want to treat as constants.")

with tabs[3]:
    if tabs[3].open:
        for demo in lessons.error_demos():
            with st.container(border=True):
                st.markdown(f"**{demo.title}**")
                st.code(demo.code, language="python")
                st.warning(f"RuntimeError: {demo.message}", icon=":material/warning:")
                st.markdown(demo.why)
                st.code(demo.fix_code, language="python")
                st.info(f"With the fix: {demo.fix_result}", icon=":material/check_circle:")

explain(
    "PyTorch builds the graph while your expression runs: every operation on a tensor that "
    "requires grad leaves behind a node, its `grad_fn` (`MulBackward0` for `*`, "
    "`PowBackward0` for `**`, `MeanBackward0` for `.mean()`), linked to the nodes of its "
    "inputs through `next_functions`. A variable you created yourself is a *leaf*; its "
    "node is `AccumulateGrad`, which adds whatever gradient arrives into `.grad`.\n\n"
    "`backward()` starts at the output with gradient 1 and visits each node once. Each "
    "node multiplies the gradient that arrives by its own local derivative and passes the "
    "product on: that is the chain rule, and the slider shows it with the real numbers. "
    "Where two paths reach the same leaf (x appears twice in x² + 2x) the contributions "
    "add up, which is also why `.grad` grows when you call backward again.\n\n"
    "micrograd's `draw_dot` shows value and gradient per node but only for scalars; "
    "torchviz's `make_dot` shows these same grad_fn nodes but no values or gradients. "
    "This graph is walked from your tensors' real `grad_fn` and shows both, for tensors too.",
    title="What is going on?",
)
show_code(ag.generated_code(program, variables, requires_grad))
