"""The OpenAPI schema class (its own module: drf-spectacular's AutoSchema imports DRF's
generic views, which import the pagination class in api_errors)."""

from __future__ import annotations

import copy
from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's schema, except that an input serializer marked ``whole_on_patch``
    is documented with its required fields on PATCH (no ``Patched*`` component): the views
    validate it whole, not partially."""

    def resolve_serializer(self, serializer: Any, direction: Any, bypass_extensions: bool = False) -> Any:
        if getattr(serializer, "partial", False) and getattr(serializer, "whole_on_patch", False):
            serializer = copy.copy(serializer)
            serializer.partial = False
        return super().resolve_serializer(serializer, direction, bypass_extensions)
