"""The one error type a user sees for bad input: a single line, no traceback."""

from __future__ import annotations


class InputError(Exception):
    """Bad input file or option. The message names the file, the line or column, and what was expected."""

    def __init__(self, path: object, what: str, *, line: int | None = None, column: str | None = None):
        self.path = str(path)
        self.what = what
        self.line = line
        self.column = column
        where = self.path
        if line is not None:
            where += f", line {line}"
        if column is not None:
            where += f", column {column!r}"
        super().__init__(f"{where}: {what}")
