"""Request body parsers of the API: DRF's, plus the checks that keep malformed input a 400.

Every string (keys too) of a body is checked with ``contactcenter.org.text`` (no NUL, no lone
surrogate: PostgreSQL refuses both) and JSON may nest at most ``JSON_MAX_DEPTH`` levels,
so nothing later can fail on it (a RecursionError, an encoding error at INSERT) and answer
500. Bodies over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` are answered 413 by the exception handler
(``contactcenter.org.api_errors``): DRF reads the JSON and form bodies through ``request.body``,
which enforces it.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.settings import api_settings

from contactcenter.org.text import JSON_MAX_DEPTH, json_check, text_problem


def _strict_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):  # 1e999: no JSON (nor PostgreSQL) can hold it
        raise ValueError(f"number out of range: {text[:40]}")
    return value


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.getreader(encoding)(stream).read()
            strict = _strict_constant if api_settings.STRICT_JSON else None
            data = json.loads(text, parse_constant=strict, parse_float=_finite_float)
        except RecursionError:
            raise ParseError(f"JSON parse error - nested too deeply (at most {JSON_MAX_DEPTH} levels).") from None
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            raise ParseError(f"JSON parse error - {exc}") from None
        return json_check(data)


def _form_check(data: Any) -> None:
    """Form fields as JSON would be checked (a QueryDict: each key and all its values)."""
    json_check({key: data.getlist(key) for key in data}, max_depth=2)


class FormParser(parsers.FormParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        _form_check(data)
        return data


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        parsed = super().parse(stream, media_type, parser_context)
        _form_check(parsed.data)
        for upload in parsed.files.values():
            problem = text_problem(str(getattr(upload, "name", "") or ""))
            if problem is not None:
                raise ParseError(f"File name: {problem}")
        return parsed
