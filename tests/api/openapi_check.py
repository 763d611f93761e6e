"""Check an API response against what ``/api/schema/`` declares for its path, method and
status code: the status must be documented, and a JSON body must validate against the
declared schema (``$ref``s resolved into ``components``)."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import jsonschema
from drf_spectacular.generators import SchemaGenerator


def _to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 to JSON Schema: ``nullable: true`` becomes "or null"; refs point into the
    document root (the components are put there under the same path)."""
    if isinstance(node, list):
        return [_to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _to_json_schema(value) for key, value in node.items() if key != "nullable"}
    # Formats are not checked, so an empty string would match both branches of the
    # blank-or-URL "oneOf" drf-spectacular writes; "anyOf" says the same here.
    if "oneOf" in out:
        out["anyOf"] = out.pop("oneOf")
    if node.get("nullable"):
        return {"anyOf": [out, {"type": "null"}]}
    return out


@cache
def openapi() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


@cache
def _routes() -> list[tuple[re.Pattern[str], str]]:
    routes = []
    for template in openapi()["paths"]:
        pattern = re.escape(template)
        pattern = re.sub(r"\\\{[a-z_]+\\\}", r"[^/]+", pattern)
        routes.append((re.compile(f"^{pattern}/?$"), template))
    # A literal segment wins over a parameter: /rooms/unread is not /rooms/{room_id}.
    return sorted(routes, key=lambda route: route[1].count("{"))


def template_of(path: str) -> str | None:
    for pattern, template in _routes():
        if pattern.match(path):
            return template
    return None


def problems(method: str, path: str, status: int, content_type: str, body: Any) -> list[str]:
    """What is wrong with this response by the schema (an empty list: it agrees)."""
    template = template_of(path)
    where = f"{method.upper()} {template or path} -> {status}"
    # Only documented operations are checked (a probe of an unknown path or method is not).
    operation = openapi()["paths"][template].get(method.lower()) if template else None
    if operation is None:
        return []
    responses = operation.get("responses", {})
    declared = responses.get(str(status)) or responses.get("default")
    if declared is None:
        return [f"{where}: status not documented (documented: {sorted(responses)})"]
    if not content_type.startswith("application/json") or body is None:
        return []
    media = declared.get("content", {}).get("application/json")
    if media is None:
        return [f"{where}: JSON body, but no JSON content documented"]
    schema = {**_to_json_schema(media["schema"]), "components": _to_json_schema(openapi()["components"])}
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(body), key=lambda e: list(e.path))
    return [f"{where}: {'/'.join(map(str, e.path)) or '(body)'}: {e.message[:300]}" for e in errors[:5]]
