"""The one shape of error every parser of typed input raises."""

from __future__ import annotations


class InputError(ValueError):
    """What was wrong with the text, where (1-based column, if known), and what is allowed.

    Subclasses set `allowed`, so every message ends by telling the learner what to type.
    """

    allowed = ""

    def __init__(self, problem: str, column: int | None = None) -> None:
        self.problem = problem
        self.column = column
        where = f"Column {column}: " if column is not None else ""
        super().__init__(f"{where}{problem}. Allowed: {self.allowed}.")
