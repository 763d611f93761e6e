"""Hooks other parts of history register into at startup (``HistoryConfig.ready()``), so
that erasure and retention reach what they keep (the search index, exports) without
knowing them.

- ``register_erasure_hook(fn)``: ``fn(customer_id, visitor_ids, enquiry_ids)`` runs inside
  the erasure's transaction, after the customer's data was anonymised; it deletes or
  anonymises what it keeps about them (an exception rolls the whole erasure back).
- ``register_retention_hook(fn)``: ``fn(enquiry_ids)`` runs inside each batch's
  transaction, before those enquiries (rooms, messages) are deleted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

ErasureHook = Callable[[int, Sequence[int], Sequence[int]], None]
RetentionHook = Callable[[Sequence[int]], None]

erasure_hooks: list[ErasureHook] = []
retention_hooks: list[RetentionHook] = []


def register_erasure_hook(fn: ErasureHook) -> None:
    """Idempotent: a function registered twice runs once."""
    if fn not in erasure_hooks:
        erasure_hooks.append(fn)


def register_retention_hook(fn: RetentionHook) -> None:
    """Idempotent: a function registered twice runs once."""
    if fn not in retention_hooks:
        retention_hooks.append(fn)


def run_erasure_hooks(customer_id: int, visitor_ids: Sequence[int], enquiry_ids: Sequence[int]) -> None:
    for fn in list(erasure_hooks):
        fn(customer_id, visitor_ids, enquiry_ids)


def run_retention_hooks(enquiry_ids: Sequence[int]) -> None:
    for fn in list(retention_hooks):
        fn(enquiry_ids)
