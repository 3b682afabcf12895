"""Split a SQL script into statements, each with the line it starts on.

Deploy runs a file statement by statement so that a runtime error can be
reported at the line of the statement that raised it (the server gives a
position only for syntax errors). The splitter knows what can hide a
semicolon: quoted strings ('...', E'...'), quoted identifiers, dollar-quoted
bodies ($fn$ ... $fn$), line and nested block comments, and parentheses
(CREATE RULE ... DO ALSO (a; b) is one statement). SQL-standard
function bodies (BEGIN ATOMIC ... END) are not supported; phaseline writes
functions with dollar quotes.
"""

from __future__ import annotations

import re

# A dollar-quote tag is an identifier without $ (letters may be non-ASCII).
_DOLLAR_TAG = re.compile(r"\$([^\W\d]\w*)?\$")


def split_statements(text: str) -> list[tuple[int, str]]:
    """[(first line, statement text)] for every non-empty statement of text."""
    out: list[tuple[int, str]] = []
    start = 0
    i = 0
    depth = 0  # parentheses open
    n = len(text)
    while i < n:
        c = text[i]
        if c == "-" and text.startswith("--", i):
            j = text.find("\n", i)
            i = n if j < 0 else j + 1
        elif c == "/" and text.startswith("/*", i):
            i = _after_block_comment(text, i)
        elif c in "'\"":
            # '' and "" inside are escapes; E'\'' is handled by skipping backslash pairs in E-strings
            escape = (
                c == "'"
                and i > 0
                and text[i - 1] in "eE"
                and (i < 2 or not (text[i - 2].isalnum() or text[i - 2] == "_"))
            )
            i += 1
            while i < n:
                if escape and text[i] == "\\":
                    i += 2
                    continue
                if text[i] == c:
                    if i + 1 < n and text[i + 1] == c:
                        i += 2
                        continue
                    break
                i += 1
            i += 1
        elif (
            c == "$"
            and (m := _DOLLAR_TAG.match(text, i))
            and not (i > 0 and (text[i - 1].isalnum() or text[i - 1] in "_$"))
        ):
            end = text.find(m.group(0), m.end())
            i = n if end < 0 else end + len(m.group(0))
        elif c == "(":
            depth += 1
            i += 1
        elif c == ")":
            depth = max(depth - 1, 0)
            i += 1
        elif c == ";" and depth == 0:
            _emit(out, text, start, i + 1)
            start = i = i + 1
        else:
            i += 1
    _emit(out, text, start, n)
    return out


def _emit(out: list[tuple[int, str]], text: str, start: int, end: int) -> None:
    chunk = text[start:end]
    lead = _skip_noise(chunk)
    code = chunk[lead:].strip()
    if code and code != ";":
        out.append((text.count("\n", 0, start + lead) + 1, code))


def _skip_noise(chunk: str) -> int:
    """Index of the first character of chunk that is not whitespace or a comment."""
    i, n = 0, len(chunk)
    while i < n:
        if chunk[i].isspace():
            i += 1
        elif chunk.startswith("--", i):
            j = chunk.find("\n", i)
            i = n if j < 0 else j + 1
        elif chunk.startswith("/*", i):
            i = _after_block_comment(chunk, i)
        else:
            break
    return i


def _after_block_comment(text: str, i: int) -> int:
    """Index just past the block comment opening at i (they nest in SQL)."""
    depth, i, n = 1, i + 2, len(text)
    while i < n and depth:
        if text.startswith("/*", i):
            depth, i = depth + 1, i + 2
        elif text.startswith("*/", i):
            depth, i = depth - 1, i + 2
        else:
            i += 1
    return i
