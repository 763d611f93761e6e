"""What user text may contain: one check for every way text enters (REST, sockets, the
widget, platform webhooks, email).

PostgreSQL refuses two kinds of character that Python strings can hold: NUL (U+0000) in
text and jsonb, and lone surrogates (U+D800-U+DFFF, which JSON's ``\\ud800`` escapes
produce) that UTF-8 cannot encode at all. Either one in a statement fails the whole
statement, and with it every message of a group-commit batch (contactcenter/socket_writer),
so text is checked before it reaches the database: refused with InvalidInput where the
sender can be told (``text_check``), or cleaned where refusing would lose a customer's
message that a platform delivered (``text_scrub``).

The checks are one regular-expression search each: cheap enough for the socket hot path.
"""

from __future__ import annotations

import re
from typing import Any

from contactcenter.org.errors import InvalidInput

# A str holds every astral character as one code point, so any code point in the surrogate
# range is a lone surrogate.
_BAD = re.compile("[\x00\ud800-\udfff]")
_NUL = "\x00"

# Nesting depth of JSON values accepted from outside (request bodies, socket frames, free
# form fields such as ``device``): deeper values are refused before they reach code that
# recurses over them.
JSON_MAX_DEPTH = 32


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored as text, or None. One regex search."""
    found = _BAD.search(value)
    if found is None:
        return None
    if found.group() == _NUL:
        return "Null characters (U+0000) are not allowed."
    return f"Invalid character U+{ord(found.group()):04X} (a lone surrogate: not valid Unicode)."


def text_check(value: str, *, field: str) -> str:
    """``value`` unchanged, or InvalidInput on ``field`` naming the bad character."""
    problem = text_problem(value)
    if problem is not None:
        raise InvalidInput.field(field, problem)
    return value


def text_scrub(value: str) -> str:
    """``value`` made storable without refusing it (platform and email inbound text, where
    a refusal would lose the customer's message): NUL removed, a lone surrogate replaced
    by U+FFFD."""
    if _BAD.search(value) is None:
        return value
    return _BAD.sub(lambda m: "" if m.group() == _NUL else "\ufffd", value)


def json_scrub(value: Any) -> Any:
    """``text_scrub`` applied to every string (keys too) of a JSON-like value."""
    if isinstance(value, str):
        return text_scrub(value)
    if isinstance(value, dict):
        return {json_scrub(k): json_scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_scrub(v) for v in value]
    return value


def json_problem(value: Any, *, max_depth: int = JSON_MAX_DEPTH) -> tuple[str, str] | None:
    """Why a parsed JSON value cannot be taken in, as (where, why), or None: nested deeper
    than ``max_depth``, or a string or key with a character ``text_problem`` refuses.
    Iterative, so that it cannot itself run out of stack."""
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        node, path, depth = stack.pop()
        if isinstance(node, str):
            problem = text_problem(node)
            if problem is not None:
                return path, problem
        elif isinstance(node, dict | list):
            if depth >= max_depth:
                return path.split(".", 1)[0], f"JSON nested too deeply (at most {max_depth} levels)."
            items = node.items() if isinstance(node, dict) else enumerate(node)
            for key, child in items:
                if isinstance(key, str):
                    problem = text_problem(key)
                    if problem is not None:
                        return path, f"A key is not valid text: {problem}"
                stack.append((child, f"{path}.{key}" if path else str(key), depth + 1))
    return None


def json_check(value: Any, *, max_depth: int = JSON_MAX_DEPTH) -> Any:
    """``value`` unchanged, or InvalidInput naming where ``json_problem`` found a problem
    (on the top-level field, with the full path in the message)."""
    found = json_problem(value, max_depth=max_depth)
    if found is None:
        return value
    path, problem = found
    if not path:
        raise InvalidInput(problem)
    message = f"{path}: {problem}"
    raise InvalidInput(message, fields={path.split(".", 1)[0]: [message]})
