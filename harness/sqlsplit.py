"""Split a SQL script into statements, each with the line it starts on.

Deploy runs a file statement by statement so that a runtime error can be
reported at the line of the statement that raised it (the server gives a
position only for syntax errors). The splitter knows what can hide a
semicolon: quoted strings ('...', E'...'), quoted identifiers, dollar-quoted
bodies ($fn$ ... $fn$), line and nested block comments. SQL-standard
function bodies (BEGIN ATOMIC ... END) are not supported; phaseline writes
functions with dollar quotes.
"""

from __future__ import annotations

import re

_DOLLAR_TAG = re.compile(r"\$([A-Za-z_][A-Za-z_0-9]*)?\$")
# Whitespace and comments before a statement: its line is where its code starts.
_LEADING_NOISE = re.compile(r"(?:\s+|--[^\n]*|/\*.*?\*/)*", re.S)


def split_statements(text: str) -> list[tuple[int, str]]:
    """[(first line, statement text)] for every non-empty statement of text."""
    out: list[tuple[int, str]] = []
    start = 0
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == "-" and text.startswith("--", i):
            j = text.find("\n", i)
            i = n if j < 0 else j + 1
        elif c == "/" and text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
        elif c in "'\"":
            # '' and "" inside are escapes; E'\'' is handled by skipping backslash pairs in E-strings
            escape = c == "'" and i > 0 and text[i - 1] in "eE" and (i < 2 or not (text[i - 2].isalnum() or text[i - 2] == "_"))
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
        elif c == "$" and (m := _DOLLAR_TAG.match(text, i)) and not (i > 0 and (text[i - 1].isalnum() or text[i - 1] == "_")):
            end = text.find(m.group(0), m.end())
            i = n if end < 0 else end + len(m.group(0))
        elif c == ";":
            _emit(out, text, start, i + 1)
            start = i = i + 1
        else:
            i += 1
    _emit(out, text, start, n)
    return out


def _emit(out: list[tuple[int, str]], text: str, start: int, end: int) -> None:
    chunk = text[start:end]
    if not _has_code(chunk):
        return
    lead = _LEADING_NOISE.match(chunk).end()
    out.append((text.count("\n", 0, start + lead) + 1, chunk[lead:].strip()))


def _has_code(chunk: str) -> bool:
    """False for a chunk of only whitespace, comments and a semicolon."""
    stripped = re.sub(r"--[^\n]*", "", chunk)
    stripped = re.sub(r"/\*.*?\*/", "", stripped, flags=re.S)
    return bool(stripped.strip().strip(";").strip())
