"""A safe little language for autograd experiments, built on real torch operations.

Learners type `x**2 + 2*x + 1` or `y = 2*x; z = y**2; out = z.mean()`; this module
parses it with `ast`, checks every node against a whitelist and a set of size limits,
and then evaluates it with the very torch operators the generated code uses, so the
autograd graph that results is PyTorch's own. Nothing is ever passed to eval/exec.
"""

from __future__ import annotations

import ast
import copy
import functools
import math
import operator
import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import torch

from ml101.inputs import InputError

MAX_CHARS = 600
MAX_VARIABLE_CHARS = 1200
MAX_NODES = 300
MAX_DEPTH = 80
MAX_EXPONENT = 64
MAX_LITERAL = 1e6
MAX_CONSTANT = 1e15
MAX_VARIABLES = 6
MAX_VARIABLE_ELEMENTS = 64
MAX_RESULT_ELEMENTS = 1024
MAX_NAME = 12

FUNCTIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "sin": torch.sin, "cos": torch.cos, "tan": torch.tan, "exp": torch.exp, "log": torch.log,
    "sqrt": torch.sqrt, "abs": torch.abs, "tanh": torch.tanh, "sigmoid": torch.sigmoid,
    "relu": torch.relu, "sum": torch.sum, "mean": torch.mean, "max": torch.max,
    "min": torch.min,
}
METHODS = frozenset(FUNCTIONS)
EXPRESSION_ALLOWED = (
    "numbers, variable names, + - * / ** @, unary minus, parentheses, and the functions "
    + ", ".join(sorted(FUNCTIONS)) + " (also as methods, e.g. z.mean()); statements "
    "separated by ; name intermediate results, e.g. y = 2*x; out = y.sum()")
VARIABLES_ALLOWED = (
    "name = value, separated by ;, where a value is a number, a list such as [1, 2, 3] or a "
    f"matrix such as [[1, 2], [3, 4]] (at most {MAX_VARIABLE_ELEMENTS} numbers each, "
    f"{MAX_VARIABLES} variables)")

_BINOPS: dict[type, tuple[str, Callable[[Any, Any], Any]]] = {
    ast.Add: ("+", operator.add), ast.Sub: ("-", operator.sub), ast.Mult: ("*", operator.mul),
    ast.Div: ("/", operator.truediv), ast.Pow: ("**", operator.pow),
    ast.MatMult: ("@", operator.matmul),
}
_ALLOWED = (
    ast.Module, ast.Assign, ast.Expr, ast.Name, ast.Load, ast.Store, ast.Constant, ast.BinOp,
    ast.UnaryOp, ast.USub, ast.UAdd, ast.Call, ast.Attribute, *_BINOPS,
)
_FRIENDLY = {
    ast.Lambda: "lambda", ast.ListComp: "a comprehension", ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension", ast.GeneratorExp: "a generator expression",
    ast.Import: "import", ast.ImportFrom: "import", ast.Subscript: "indexing",
    ast.Compare: "a comparison", ast.BoolOp: "and/or", ast.IfExp: "if/else",
    ast.List: "a list (define lists as variable values)", ast.Tuple: "a tuple",
    ast.Dict: "a dict", ast.Set: "a set", ast.JoinedStr: "an f-string",
    ast.FunctionDef: "def", ast.ClassDef: "class", ast.Starred: "*-unpacking",
    ast.NamedExpr: ":=", ast.Await: "await", ast.Yield: "yield", ast.Mod: "%",
    ast.FloorDiv: "//", ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^",
    ast.LShift: "<<", ast.RShift: ">>", ast.Invert: "~", ast.Not: "not",
    ast.AugAssign: "augmented assignment (+= and friends)",
}

Number = int | float
Value = torch.Tensor | Number
Nested = float | list[float] | list[list[float]]


class ExprError(InputError):
    """Bad input, with the offending token and where it is (1-based line and column).

    One of the InputError family; its message names the token ("`9**9` at column 4: ...")
    because an expression is longer than a shape, and ends with what is allowed only where
    the problem is about the vocabulary (other problems say what to do instead)."""

    allowed = ""

    def __init__(self, problem: str, token: str | None = None, column: int | None = None,
                 line: int | None = None, allowed: str = "") -> None:
        self.problem, self.token, self.column, self.line = problem, token, column, line
        self.allowed = allowed
        where = ""
        if column is not None:
            where = f"column {column}" if not line or line == 1 else f"line {line}, column {column}"
        prefix = ""
        if token is not None and where:
            prefix = f"`{token}` at {where}: "
        elif where:
            prefix = f"At {where}: "
        ValueError.__init__(self, prefix + problem + (f". Allowed: {allowed}." if allowed else ""))


@functools.lru_cache(maxsize=256)
def _source_lines(source: str) -> tuple[bytes, ...]:
    return tuple(line.encode() for line in re.split(r"\r\n|\r|\n", source))


def _segment(source: str, node: ast.AST) -> str | None:
    """ast.get_source_segment without re-splitting the source on every call (hot path)."""
    try:
        lines = _source_lines(source)[node.lineno - 1:node.end_lineno]
        if len(lines) == 1:
            return lines[0][node.col_offset:node.end_col_offset].decode()
        parts = [lines[0][node.col_offset:], *lines[1:-1], lines[-1][:node.end_col_offset]]
        return "\n".join(p.decode() for p in parts)
    except (AttributeError, TypeError, IndexError, UnicodeDecodeError):
        return None


def _token(source: str, node: ast.AST) -> str:
    text = _segment(source, node) or type(node).__name__
    text = " ".join(text.split())
    return text if len(text) <= 24 else text[:23] + "…"


def _fail(source: str, node: ast.AST, problem: str, allowed: str = "") -> ExprError:
    return ExprError(problem, _token(source, node), getattr(node, "col_offset", -1) + 1,
                     getattr(node, "lineno", None), allowed)


def _parse(text: str, what: str, limit: int) -> ast.Module:
    if len(text) > limit:
        raise ExprError(f"the {what} is {len(text)} characters long; at most {limit} allowed",
                        column=limit + 1)
    if not text.strip():
        raise ExprError(f"the {what} is empty")
    try:
        with warnings.catch_warnings():  # e.g. "invalid decimal literal" for 2x
            warnings.simplefilter("ignore", SyntaxWarning)
            tree = ast.parse(text, mode="exec")
    except SyntaxError as err:
        line = (err.text or "").rstrip("\n")
        col = err.offset or 1
        tok = line[col - 1:col + 7].split(" ")[0] if 0 < col <= len(line) else None
        raise ExprError(f"this is not valid syntax ({err.msg})", tok or None, col,
                        err.lineno) from None
    except (MemoryError, RecursionError, ValueError):
        raise ExprError(f"the {what} is nested too deeply or too complex") from None
    if not tree.body:
        raise ExprError(f"the {what} has nothing but comments")
    return tree


def _check_shape(source: str, tree: ast.Module) -> None:
    """Node count and nesting depth, walked without recursion."""
    count, stack = 0, [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, ast.expr_context | ast.operator | ast.unaryop):
            continue
        count += 1
        if count > MAX_NODES:
            raise ExprError(f"the expression has more than {MAX_NODES} parts; simplify it")
        if depth > MAX_DEPTH:
            raise _fail(source, node, f"nested more than {MAX_DEPTH} levels deep")
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


def _check_number(source: str, node: ast.Constant) -> None:
    value = node.value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(source, node, "only numbers are allowed as constants")
    if not math.isfinite(value) or abs(value) > MAX_LITERAL:
        raise _fail(source, node, f"numbers must lie between -{MAX_LITERAL:g} and {MAX_LITERAL:g}")


@dataclass(frozen=True)
class Program:
    """A checked program: statements, their names, and the name of the output."""

    source: str
    tree: ast.Module
    output: str
    intermediates: tuple[str, ...]

    def code_lines(self) -> list[str]:
        """The program as plain PyTorch statements (sin -> torch.sin, last line named)."""
        lines = []
        for stmt in self.tree.body:
            expr = _TorchNames().visit(copy.deepcopy(stmt.value))
            text = ast.unparse(expr)
            name = stmt.targets[0].id if isinstance(stmt, ast.Assign) else self.output
            lines.append(f"{name} = {text}")
        return lines


class _TorchNames(ast.NodeTransformer):
    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.func, ast.Name):
            node.func = ast.Attribute(ast.Name("torch", ast.Load()), node.func.id, ast.Load())
        return node


def parse_program(text: str, variables: Mapping[str, Any] | tuple[str, ...]) -> Program:
    """Check a program against the whitelist and limits; nothing is evaluated yet."""
    tree = _parse(text, "expression", MAX_CHARS)
    _check_shape(text, tree)
    known = set(variables)
    defined: list[str] = []
    methods = {id(n.func) for n in ast.walk(tree)
               if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)}
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED):
            what = _FRIENDLY.get(type(node), type(node).__name__)
            raise _fail(text, node, f"{what} is not allowed here", EXPRESSION_ALLOWED)
        if isinstance(node, ast.Constant):
            _check_number(text, node)
        elif isinstance(node, ast.Name) and node.id.startswith("_"):
            raise _fail(text, node, "names starting with _ are not allowed")
        elif isinstance(node, ast.Attribute) and id(node) not in methods:
            raise _fail(text, node, "attribute access is only allowed as a method call "
                        f"such as z.mean(); methods: {', '.join(sorted(METHODS))}")
        elif isinstance(node, ast.Call):
            _check_call(text, node)
    body = tree.body
    for i, stmt in enumerate(body):
        if isinstance(stmt, ast.Expr):
            if i != len(body) - 1:
                raise _fail(text, stmt, "only the last statement may be a bare expression; "
                            "name the others, e.g. y = 2*x")
        elif isinstance(stmt, ast.Assign):  # _ALLOWED admits no other statement
            target = stmt.targets[0]
            if len(stmt.targets) != 1 or not isinstance(target, ast.Name):
                raise _fail(text, stmt, "assign to exactly one name, e.g. y = 2*x")
            name = target.id
            if name in known or name in defined:
                raise _fail(text, target, f"`{name}` is already defined; pick a new name")
            if name in FUNCTIONS or name == "torch" or len(name) > MAX_NAME:
                raise _fail(text, target, f"`{name}` cannot be used as a name")
            _check_names(text, stmt.value, known | set(defined))
            defined.append(name)
    last = body[-1]
    if isinstance(last, ast.Expr):
        _check_names(text, last.value, known | set(defined))
        output = next(n for n in ("out", "result", "output") if n not in known | set(defined))
    else:
        output = defined.pop()
    return Program(text, tree, output, tuple(defined))


def _check_call(text: str, node: ast.Call) -> None:
    func = node.func
    if isinstance(func, ast.Name):
        if func.id not in FUNCTIONS:
            raise _fail(text, func, "is not an allowed function", EXPRESSION_ALLOWED)
        if len(node.args) != 1 or node.keywords:
            raise _fail(text, node, f"{func.id}(...) takes exactly one argument")
        return
    if isinstance(func, ast.Attribute) and func.attr in METHODS:
        if node.args or node.keywords:
            raise _fail(text, node, f".{func.attr}() takes no arguments here")
        return
    raise _fail(text, func, "is not an allowed call", EXPRESSION_ALLOWED)


def _check_names(text: str, expr: ast.AST, known: set[str]) -> None:
    funcs = {id(n.func) for n in ast.walk(expr) if isinstance(n, ast.Call)}
    for node in ast.walk(expr):
        if isinstance(node, ast.Name) and node.id not in known and id(node) not in funcs:
            names = ", ".join(sorted(known)) or "none yet"
            raise _fail(text, node, f"unknown name; defined so far: {names}")


# ---------------------------------------------------------------- variables


@dataclass(frozen=True)
class Variable:
    name: str
    value: Nested
    shape: tuple[int, ...]


def parse_variables(text: str) -> dict[str, Variable]:
    """`x = [1, 2, 3]; w = 0.5`: scalars, vectors or small matrices of numbers."""
    tree = _parse(text, "variable list", MAX_VARIABLE_CHARS)
    out: dict[str, Variable] = {}
    for stmt in tree.body:
        if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)):
            raise _fail(text, stmt, "write each variable as name = value", VARIABLES_ALLOWED)
        name = stmt.targets[0].id
        if name.startswith("_") or name in FUNCTIONS or name == "torch" or len(name) > MAX_NAME:
            raise _fail(text, stmt.targets[0], "cannot be used as a variable name")
        if name in out:
            raise _fail(text, stmt.targets[0], "is defined twice")
        value, shape = _literal(text, stmt.value, 0)
        if math.prod(shape) > MAX_VARIABLE_ELEMENTS:
            raise _fail(text, stmt.value, f"at most {MAX_VARIABLE_ELEMENTS} numbers per variable")
        out[name] = Variable(name, value, shape)
        if len(out) > MAX_VARIABLES:
            raise _fail(text, stmt, f"at most {MAX_VARIABLES} variables")
    return out


def _literal(text: str, node: ast.AST, depth: int) -> tuple[Nested, tuple[int, ...]]:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value, shape = _literal(text, node.operand, depth)
        if shape:
            raise _fail(text, node, "put the minus sign on each number")
        return (-value if isinstance(node.op, ast.USub) else value), ()
    if isinstance(node, ast.Constant):
        _check_number(text, node)
        return float(node.value), ()
    if isinstance(node, ast.List) and depth < 2:
        if not node.elts:
            raise _fail(text, node, "a list needs at least one number")
        if len(node.elts) > MAX_VARIABLE_ELEMENTS:
            raise _fail(text, node, f"at most {MAX_VARIABLE_ELEMENTS} numbers per variable")
        items = [_literal(text, e, depth + 1) for e in node.elts]
        shapes = {s for _, s in items}
        if len(shapes) != 1:
            raise _fail(text, node, "rows must all have the same length")
        return [v for v, _ in items], (len(items), *shapes.pop())  # type: ignore[misc]
    raise _fail(text, node, "this is not a value", VARIABLES_ALLOWED)


# ---------------------------------------------------------------- evaluation


@dataclass
class OpRecord:
    """One operation of the program as the learner wrote it, and the tensor it made."""

    tensor: Value
    text: str  # source text of the operation
    op: str  # the human op: "*", "**2", "mean", "sin", "-"
    name: str | None = None  # the name it was assigned to, if any


@dataclass
class Evaluation:
    output: Value
    env: dict[str, Value]
    records: list[OpRecord] = field(default_factory=list)

    def record_for(self, grad_fn: object) -> OpRecord | None:
        """The op (if any) whose result tensor carries this grad_fn."""
        for rec in reversed(self.records):
            if isinstance(rec.tensor, torch.Tensor) and rec.tensor.grad_fn is grad_fn:
                return rec
        return None


def make_leaves(variables: Mapping[str, Variable], requires_grad: Mapping[str, bool],
                dtype: torch.dtype = torch.float32) -> dict[str, torch.Tensor]:
    """The learner's variables as leaf tensors, like torch.tensor(..., requires_grad=...)."""
    return {name: torch.tensor(v.value, dtype=dtype,
                               requires_grad=bool(requires_grad.get(name, True)))
            for name, v in variables.items()}


def evaluate(program: Program, leaves: Mapping[str, torch.Tensor]) -> Evaluation:
    """Run the checked program with real torch ops; raise ExprError on a bad operation."""
    ev = Evaluation(output=0.0, env=dict(leaves))
    for stmt in program.tree.body:
        rec_start = len(ev.records)
        value = _eval(program.source, stmt.value, ev)
        name = stmt.targets[0].id if isinstance(stmt, ast.Assign) else program.output
        ev.env[name] = value
        for rec in ev.records[rec_start:]:
            if rec.tensor is value:
                rec.name = name
    ev.output = ev.env[program.output]
    return ev


def _eval(src: str, node: ast.AST, ev: Evaluation) -> Value:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return ev.env[node.id]
    if isinstance(node, ast.UnaryOp):
        operand = _eval(src, node.operand, ev)
        if isinstance(node.op, ast.UAdd):
            return operand
        return _record(src, node, ev, "-", lambda: operator.neg(operand), operand)
    if isinstance(node, ast.BinOp):
        left, right = _eval(src, node.left, ev), _eval(src, node.right, ev)
        symbol, fn = _BINOPS[type(node.op)]
        if isinstance(node.op, ast.Pow) and not isinstance(right, torch.Tensor):
            if abs(right) > MAX_EXPONENT:
                raise _fail(src, node.right, f"exponents must lie between -{MAX_EXPONENT} "
                            f"and {MAX_EXPONENT}; this one is {right:g}")
            symbol = f"**{right:g}"
        if isinstance(left, torch.Tensor) and isinstance(right, torch.Tensor):
            size = _broadcast_size(tuple(left.shape), tuple(right.shape))
            if size > MAX_RESULT_ELEMENTS:
                raise _fail(src, node, f"the result would have {size} numbers; "
                            f"at most {MAX_RESULT_ELEMENTS}")
        return _record(src, node, ev, symbol, lambda: fn(left, right), left, right)
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Attribute):
            name, arg = node.func.attr, _eval(src, node.func.value, ev)
            call = lambda: getattr(arg, name)()  # noqa: E731
            label = f".{name}()"
        else:
            name, arg = node.func.id, _eval(src, node.args[0], ev)
            call = lambda: FUNCTIONS[name](arg)  # noqa: E731
            label = name
        if not isinstance(arg, torch.Tensor):
            raise _fail(src, node, f"{name} needs a tensor (an expression with a variable in "
                        "it); for plain numbers write the value directly")
        return _record(src, node, ev, label, call, arg)
    raise _fail(src, node, "is not allowed")  # parse_program admits nothing else


def _broadcast_size(a: tuple[int, ...], b: tuple[int, ...]) -> int:
    """Numbers in the broadcast of two shapes (0 if they do not broadcast: torch will say
    why). Plain Python: torch.broadcast_shapes is far slower on this hot path."""
    size = 1
    for i in range(1, max(len(a), len(b)) + 1):
        da = a[-i] if i <= len(a) else 1
        db = b[-i] if i <= len(b) else 1
        if da != db and 1 not in (da, db):
            return 0
        size *= max(da, db)
    return size


def _record(src: str, node: ast.AST, ev: Evaluation, op: str, compute: Callable[[], Value],
            *operands: Value) -> Value:
    constant = not any(isinstance(o, torch.Tensor) for o in operands)
    try:
        result = compute()
    except (ZeroDivisionError, OverflowError) as err:
        raise _fail(src, node, f"this constant cannot be computed ({err})") from None
    except (RuntimeError, TypeError, ValueError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise _fail(src, node, f"PyTorch cannot compute this: {first}") from None
    if constant:
        if isinstance(result, complex) or not math.isfinite(result) \
                or abs(result) > MAX_CONSTANT:
            raise _fail(src, node, "this constant is too large or not a real number")
        return result
    ev.records.append(OpRecord(result, _token(src, node), op))
    return result
