"""The Tensor playground's four tabs: widgets, calls into the core, rendering.

Main picture (`t_picture`): the tensor grid of the open tab, drawn cell by cell with its
values (the created tensor; A, B and the result; d and its reshape; the four objects of
the shared-memory demo). The inputs that change it sit beside it or just above it.

They live in a module rather than in the page script because Streamlit compiles a page
script (with its "magic" AST pass) on every AppTest run; an imported module compiles once.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import streamlit as st
import torch

from ml101.inputs import InputError, fmt_shape
from ml101.tensors import create as tc
from ml101.tensors import describe, ops
from ml101.tensors import interop as tn
from ml101.tensors import reshape as tr
from ml101.tensors.charts import cell_px, grid_note, heatmap
from ml101.tensors.code import code_for
from ml101.tensors.literal import MAX_CHARS
from ml101.ui import controls
from ml101.ui.layout import chart, explain, picture_px, show_code, stage
from ml101.ui.presenter import is_presenting

# Tab labels are URL values (t_tab=Operate): they stay as they are.
TABS = ["Create", "Operate", "Reshape & index", "NumPy ⇄ PyTorch"]
KEEP = {"persist_state": "page"}  # a hidden tab keeps its controls' values
PICTURE = "t_picture"
LARGEST_CELL, LARGEST_CELL_PRESENT = 56, 96  # px: a small tensor grows to this, no further


def playground() -> None:
    """The four tabs; only the open one runs, so a rerun stays fast."""
    tabs = controls.tabs(TABS, key="t_tab")
    renderers: tuple[Callable[[], None], ...] = (create, operate, reshape_and_index,
                                                 numpy_side)
    for tab, render in zip(tabs, renderers, strict=True):
        if tab.open is not False:
            with tab:
                render()


def grid(t: torch.Tensor, caption: str, mask: np.ndarray | None = None,
         share: float = 1.0, printed: str | None = None) -> None:
    """A tensor as a heatmap with its values, plus exactly what print() shows (`printed`
    when it is not the tensor's own print, e.g. a NumPy array's). `share` is the part of
    the main picture's width this grid gets (a third beside two others)."""
    st.markdown(caption)
    if t.numel() == 0:
        st.info(f"An empty tensor of shape {fmt_shape(tuple(t.shape))}: nothing to draw.")
    else:
        cell = cell_px(tuple(t.shape), round(picture_px() * share),
                       largest=LARGEST_CELL_PRESENT if is_presenting() else LARGEST_CELL)
        chart(heatmap(t, mask, cell=cell), describe.heatmap(t, mask), width="content")
        cut = grid_note(tuple(t.shape))
        if cut:
            st.caption(cut + "; print() below shows it all (abridged by PyTorch if long).")
    st.code(str(t) if printed is None else printed, language=None)


def table(headers: list[str], rows: list[tuple], code_cols: tuple[int, ...] = ()) -> None:
    """A small Markdown table: no Arrow round trip, so it costs almost nothing per rerun."""
    def cell(i: int, v: object) -> str:
        text = str(v).replace("|", "\\|").replace("\n", " ")
        return f"`{text}`" if i in code_cols else text

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(i, v) for i, v in enumerate(r)) + " |" for r in rows]
    st.markdown("\n".join(lines))


def examples(items: dict[str, dict[str, object]], key: str) -> None:
    """A compact row of example buttons: each sets a few controls at once."""
    with st.container(horizontal=True, gap="small"):
        for i, (label, values) in enumerate(items.items()):
            st.button(label, key=f"{key}{i}", on_click=controls.apply_preset, args=(values,))


def _size(n: int | None) -> str:
    return "—" if n is None else str(n)


def verdict(ok: bool, how: str) -> None:
    (st.success if ok else st.warning)(f"NumPy {'agrees' if ok else 'differs'}: {how}",
                                       icon=":material/compare_arrows:")


# ---------------------------------------------------------------- Create
def create() -> None:
    picture, settings = stage()
    with settings:
        kind = controls.selectbox("Creation function", tc.KINDS, key="t_kind", **KEEP,
                                  format_func=lambda k: f"torch.{k}")
        spec: dict = {"kind": kind}
        if kind in tc.LITERAL_KINDS:
            spec["literal"] = controls.text_input(
                "Literal (numbers in nested lists)", "[[1, 2], [3, 4]]", key="t_lit", **KEEP,
                max_chars=MAX_CHARS,
                help="Up to 4 dimensions and 10,000 numbers; True/False, nan, inf allowed.")
        if kind in tc.SHAPED_KINDS:
            spec["shape"] = controls.text_input("Shape", "2, 3", key="t_shape", **KEEP,
                                                help="e.g. 3, 4 (up to 4 sizes)")
        if kind in ("arange", "linspace"):
            spec["start"] = controls.number_input("start", value=0.0, key="t_start", step=1.0,
                                                  **KEEP)
            spec["end"] = controls.number_input("end", value=10.0 if kind == "arange" else 1.0,
                                                key="t_end", **KEEP, step=1.0)
            if kind == "arange":
                spec["step"] = controls.number_input("step", value=2.0, key="t_step", **KEEP,
                                                     step=0.5)
            else:
                spec["steps"] = controls.number_input("steps", 1, 10_000, 5, key="t_steps", **KEEP)
        spec["dtype"] = controls.selectbox("dtype", [tc.AUTO, *tc.DTYPES], key="t_dtype", **KEEP,
                                           help="auto: what PyTorch (or NumPy) infers")
        if kind in tc.RANDOM_KINDS:
            spec["seed"] = controls.seed_input("t_seed", **KEEP)
    try:
        made = tc.create(tc.CreateSpec(**spec))
    except InputError as exc:
        with picture, st.container(key=PICTURE):
            st.error(str(exc), icon=":material/error:")
        return
    with picture, st.container(key=PICTURE):
        grid(made.tensor, f"**t** = `torch.{kind}(...)`")
    with settings:
        for note in made.notes:
            st.info(note, icon=":material/info:")
    rows = [(p.name, p.value, p.code, p.why) for p in tc.describe(made.tensor)]
    table(["property", "value", "code", "what it means"], rows, code_cols=(2,))
    show_code(code_for(made))
    explain(
        "A tensor is a block of numbers of one **dtype** plus a **shape**. Under the hood "
        "the numbers sit in one flat run of memory; the **stride** says how many elements "
        "to skip to move one step along each axis. `torch.tensor` copies the data you give "
        "it and infers int64 for integers and float32 for decimals; `torch.from_numpy` "
        "keeps NumPy's dtype (float64 by default) and shares NumPy's memory. `randn` "
        "draws from a standard normal, `rand` uniformly from [0, 1): the seed makes "
        "them repeatable.")


# ---------------------------------------------------------------- Operate
OPS = [*ops.ELEMENTWISE, *ops.MATMUL, *ops.REDUCTIONS]
OP_LABELS = {"+": "A + B", "-": "A - B", "*": "A * B", "/": "A / B", "**": "A ** B",
             "@": "A @ B", "torch.mm": "torch.mm(A, B)"}
PRESETS = {
    "Lesson A, B": {"t_a": "[[1, 2], [3, 4]]", "t_b": "[[5, 6], [7, 8]]", "t_op": "+"},
    "Broadcast a row": {"t_a": "[[1, 2, 3], [4, 5, 6]]", "t_b": "[10, 20, 30]", "t_op": "+"},
    "Column × row": {"t_a": "[[1], [2], [3]]", "t_b": "[10, 20]", "t_op": "*"},
    "Shapes that clash": {"t_a": "[[1, 2, 3], [4, 5, 6]]", "t_b": "[[1, 2], [3, 4]]",
                          "t_op": "+"},
}


def operate() -> None:
    c1, c2, c3, c4 = st.columns([3, 3, 2, 2], vertical_alignment="bottom")
    with c1:
        a_text = controls.text_input("A", "[[1, 2], [3, 4]]", key="t_a", **KEEP,
                                     max_chars=MAX_CHARS)
    with c2:
        b_text = controls.text_input("B", "[[5, 6], [7, 8]]", key="t_b", **KEEP,
                                     max_chars=MAX_CHARS)
    with c3:
        op = controls.selectbox("Operation", OPS, key="t_op", **KEEP,
                                format_func=lambda o: OP_LABELS.get(o, f"A.{o}()"))
    with c4:
        odt = controls.selectbox("dtype of A and B", [tc.AUTO, *tc.DTYPES], index=1,
                                 key="t_odtype", **KEEP)
    examples(PRESETS, "t_pre")
    try:
        x = ops.operands(a_text, b_text, odt)
    except InputError as exc:
        with st.container(key=PICTURE):
            st.error(str(exc), icon=":material/error:")
        return
    dim: int | str = ops.ALL
    keep = False
    if op in ops.REDUCTIONS:
        d1, d2 = st.columns(2, vertical_alignment="bottom")
        with d1:
            dim_txt = controls.segmented_control(
                "dim (which axis collapses)", [ops.ALL, *map(str, range(x.a.ndim))],
                key="t_dim", default=ops.ALL, required=True)
        with d2:
            keep = controls.toggle("keepdim", key="t_keep", **KEEP)
        dim = ops.ALL if dim_txt in (None, ops.ALL) else int(dim_txt)
    try:
        res = ops.operate(x, op, dim, keep)
    except InputError as exc:
        res = None
        st.error(str(exc), icon=":material/error:")
        if op in ops.ELEMENTWISE:
            bc = ops.broadcast(tuple(x.a.shape), tuple(x.b.shape))
            table(["axis", "A", "B", "rule"],
                  [(r.axis, _size(r.a), _size(r.b), r.note) for r in bc.rows])
    with st.container(key=PICTURE):
        g1, g2, g3 = st.columns(3 if op not in ops.REDUCTIONS else [1, 0.01, 1])
        with g1:
            grid(x.a, f"**A** {fmt_shape(tuple(x.a.shape))}", share=0.5)
        if op not in ops.REDUCTIONS:
            with g2:
                grid(x.b, f"**B** {fmt_shape(tuple(x.b.shape))}", share=0.5)
        if res is not None:
            with g3:
                grid(res.values, f"**result** = `{res.code.removeprefix('result = ')}` "
                                 f"{fmt_shape(tuple(res.values.shape))}", share=0.5)
                if isinstance(res.result, tuple):
                    st.markdown("**.indices**")
                    st.code(str(res.result[1]), language=None)
    if res is not None:
        st.info(res.explanation, icon=":material/straighten:")
        if "broadcast" in res.extra:
            table(["axis", "A", "B", "result", "what happens"],
                  [(r.axis, _size(r.a), _size(r.b), r.out, r.note)
                   for r in res.extra["broadcast"].rows])
        nl, nr = st.columns(2)
        with nl:
            st.markdown("**NumPy twin**: `" + res.numpy_code.splitlines()[0] + "`")
            np_vals = res.numpy_result[0] if isinstance(res.numpy_result, tuple) \
                else res.numpy_result
            st.code(repr(np_vals), language=None)
        with nr:
            verdict(res.agree, res.agreement)
        show_code(code_for(res))
    explain(
        "**Elementwise** operations pair up entries. When shapes differ, PyTorch "
        "**broadcasts**: it lines the shapes up from the right; on each axis the sizes "
        "must match, or one must be 1 (a missing axis counts as 1) and that operand is "
        "reused along the axis without copying. **A @ B** is matrix multiplication: an "
        "(n, k) by (k, m) product gives (n, m). A **reduction** with `dim=d` combines the "
        "entries along axis d, so that axis disappears (or stays as size 1 with "
        "`keepdim=True`).")


# ---------------------------------------------------------------- Reshape & index
VIEW_EXAMPLES = {
    "d.T.view(5, 2, 2) works": {"t_dT": True, "t_rop": "view", "t_rshape": "5, 2, 2"},
    "d.T.view(20) fails": {"t_dT": True, "t_rop": "view", "t_rshape": "20"},
}
SLICE_EXAMPLES = {e: {"t_slice": e} for e in ("d[0]", "d[:, 0]", "d[1:3, 2:4]", "d[::2, 1:]")}


def reshape_and_index() -> None:
    r1, r2, r3, r4 = st.columns([2, 1.4, 1.6, 1.6], vertical_alignment="bottom")
    with r1:
        d_shape = controls.text_input("d = torch.arange(n).reshape(…)", "4, 5", key="t_dshape",
                                      **KEEP)
    with r2:
        d_t = controls.toggle("Start from d.T", key="t_dT",
                              help="d.T is a transposed view: same memory, strides swapped, "
                                   "not contiguous. view still works where strides can "
                                   "express the new shape: try the examples.", **KEEP)
    with r3:
        rop = controls.selectbox("Reshape operation", tr.SHAPE_OPS, key="t_rop", **KEEP,
                                 format_func=lambda o: o if o == ".T" else f".{o}()")
    new_shape, dim0, dim1 = "-1", 0, 1
    with r4:
        if rop in tr.TAKES_SHAPE:
            new_shape = controls.text_input("new shape (one -1 allowed)", "2, 10",
                                            key="t_rshape", **KEEP)
        elif rop == "transpose":
            q1, q2 = st.columns(2)
            with q1:
                dim0 = int(controls.number_input("dim0", 0, 3, 0, key="t_td0", **KEEP))
            with q2:
                dim1 = int(controls.number_input("dim1", 0, 3, 1, key="t_td1", **KEEP))
    try:
        src = tr.source(d_shape, d_t)
    except InputError as exc:
        with st.container(key=PICTURE):
            st.error(str(exc), icon=":material/error:")
        return
    d = src.tensor
    sa, sb = st.columns(2, gap="large")
    with sa:
        st.markdown("**Reshape: view or copy?**")
        examples(VIEW_EXAMPLES, "t_vex")
        _reshape(src, rop, new_shape, dim0, dim1)
    with sb:
        st.markdown("**Index and slice**")
        sl = controls.text_input("Index or slice", "d[1:3, 2:4]", key="t_slice", **KEEP,
                                 max_chars=500,
                                 help="e.g. d[0], d[:, 0], d[1:3, 2:4], d[..., -1], d[[0, 2]]")
        examples(SLICE_EXAMPLES, "t_ex")
        try:
            ix = tr.take(src, sl)
        except InputError as exc:
            st.error(str(exc), icon=":material/error:")
        else:
            grid(d, f"**d** with `d[{ix.index.text}]` outlined", ix.index.mask, share=0.4)
            grid(ix.result, f"**s** = `{ix.code}` {fmt_shape(tuple(ix.result.shape))}",
                 share=0.4)
            st.info(ix.explanation, icon=":material/select_all:")
            verdict(ix.agree, "NumPy's arr[...] picks the same elements"
                    if ix.agree else "the selections differ")
            show_code(code_for(ix), title="Show the code (slice)")
    explain(
        "A tensor is flat memory plus a shape and **strides**. `view` gives the same "
        "memory a new shape without copying, so it works only when strides alone can read "
        "the elements in the new shape: splitting an axis, or merging neighbouring axes "
        "whose elements follow each other evenly in memory. That is not the same as being "
        "contiguous: `d.T` (strides (1, 5), not contiguous) `.view(5, 2, 2)` works and "
        "shares d's memory, because it only splits the last axis; `d.T.view(20)` fails, "
        "because reading d.T row by row jumps back and forth in memory. `reshape` uses a "
        "view when it can and copies when it must: the storage pointer says which "
        "happened. `.T` and `transpose` swap strides instead of moving data, so their "
        "result is non-contiguous. Slicing with `start:stop` (stop excluded) is a view; "
        "indexing with a list of integers copies. PyTorch refuses negative steps such as "
        "`::-1` (NumPy allows them): use `torch.flip`.")


def _reshape(src: tr.Source, rop: str, new_shape: str, dim0: int, dim1: int) -> None:
    d = src.tensor
    try:
        so = tr.shape_op(src, rop, new_shape, dim0, dim1)
    except InputError as exc:
        with st.container(key=PICTURE):
            st.error(str(exc), icon=":material/error:")
        return
    with st.container(key=PICTURE):
        grid(d, f"**d** {fmt_shape(tuple(d.shape))}, strides {d.stride()}, "
                f"contiguous: {d.is_contiguous()}", share=0.4)
        if so.result is not None:
            grid(so.result, f"**r** = `{so.code}` {fmt_shape(tuple(so.result.shape))}, "
                            f"strides {so.result.stride()}", share=0.4)
    if so.result is None:
        st.warning(so.refused, icon=":material/block:")
    else:
        (st.info if so.shares_memory else st.warning)(so.explanation, icon=":material/memory:")
    st.caption(f"NumPy twin: `{so.numpy_code}`")
    show_code(code_for(so), title="Show the code (reshape)")


# ---------------------------------------------------------------- NumPy ⇄ PyTorch
def numpy_side() -> None:
    n1, w1, w2, w3 = st.columns([2.6, 3.2, 1.6, 1.6], vertical_alignment="bottom")
    with n1:
        nlit = controls.text_input("a (NumPy) and t (PyTorch) from the literal",
                                   "[[1, 2], [3, 4]]", key="t_nlit", **KEEP,
                                   max_chars=MAX_CHARS)
    with w1:
        target = controls.segmented_control(
            "Write into", tn.WRITE_TARGETS, key="t_wt", **KEEP, default="arr", required=True,
            format_func=lambda x: {"arr": "arr (NumPy)", "copied": "copied (torch.tensor)"}[x])
    with w2:
        where = controls.text_input("at index", "[0, 1]", key="t_where", **KEEP, max_chars=100,
                                    help="e.g. [0, 1] (one cell) or [:, 0] (a column)")
    with w3:
        value = controls.number_input("the value", -1e6, 1e6, 99.0, key="t_wval", **KEEP, step=1.0)
    st.subheader("Shared memory: who sees a write?")
    try:
        demo = tn.share_demo(nlit, target or "arr", where, value)
    except InputError as exc:
        with st.container(key=PICTURE):
            st.error(str(exc), icon=":material/error:")
    else:
        objs = [("arr", "np.array(...)", demo.arr, None),
                ("shared", "torch.from_numpy(arr)", demo.shared, "shared"),
                ("copied", "torch.tensor(arr)", demo.copied, "copied"),
                ("back", "copied.numpy()", demo.back, "back")]
        with st.container(key=PICTURE):
            for col, (name, how, obj, mem) in zip(st.columns(4), objs, strict=True):
                with col:
                    changed = demo.changed[name]
                    grid(torch.as_tensor(obj), f"**{name}** = `{how}`  \n"
                         + (":orange[changed]" if changed else ":gray[unchanged]"),
                         demo.written if changed else None, share=0.4,
                         printed=None if isinstance(obj, torch.Tensor) else str(obj))
                    if mem == "back":
                        st.caption("shares copied's memory" if demo.same_memory["back"]
                                   else "own memory")
                    elif mem:
                        st.caption("shares arr's memory" if demo.same_memory[mem]
                                   else "own memory (a copy)")
        show_code(code_for(demo), title="Show the code (shared memory)")
    explain(
        "`torch.from_numpy(arr)` wraps the array's memory: no copy, so a write to one is "
        "seen by the other, and the dtype stays NumPy's. `torch.tensor(arr)` always "
        "copies. `.numpy()` on a CPU tensor hands back a NumPy view of the same memory. "
        "Sharing avoids copies of big data, but means a change in one place shows up in "
        "the other.", title="Why did that change?")
    q1, q2 = st.columns([3, 1], vertical_alignment="bottom")
    with q1:
        st.subheader("The quick-reference table, computed live")
    with q2:
        nseed = controls.seed_input("t_nseed", **KEEP)
    try:
        ref = tn.quick_reference(nlit, nseed)
    except InputError as exc:
        st.error(str(exc), icon=":material/error:")
    else:
        table(["operation", "NumPy", "PyTorch", "NumPy gives", "PyTorch gives", "agree?"],
              [(r.operation, r.numpy_code, r.torch_code, r.numpy_result, r.torch_result,
                r.verdict) for r in ref.rows], code_cols=(1, 2))
        show_code(code_for(ref), title="Show the code (quick reference)")
