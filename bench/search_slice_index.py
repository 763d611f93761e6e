"""Which index should find an agent's frequent-word slice of ``history_messageindex``: the
BRIN of history migration 0005 or the primary key's btree (issue 14)? In-process, on a
generated history (bench/history_data.py), the same search statements timed with the BRIN
and, alternated in the same process, with the BRIN dropped inside a transaction that is
rolled back (the planner then uses the primary key for ``message_id >= bound``); the
candidates must be the same rows. Prints p50 / p95 / max per word and variant, and the
plan of the slice's statement (heap blocks, rows rechecked) for each.

    DATABASE_URL=postgres://.../cc_bench_copy python bench/search_slice_index.py --agent 13 --reps 7
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contactcenter.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

WORDS = ("please", "account", "time", "refund", "订单", "可以", "您好", "website", "收到")


class _Rollback(Exception):
    pass


def main() -> None:
    from contactcenter.org.models import Staff
    from history import search
    from history.filters import Filters
    from history.search_tokens import query_terms

    p = argparse.ArgumentParser()
    p.add_argument("--agent", type=int, default=13)
    p.add_argument("--reps", type=int, default=7)
    p.add_argument("--explain", action="store_true")
    args = p.parse_args()
    staff = Staff.objects.get(pk=args.agent)
    narrowing = search._filter_sql(Filters(), "i.enquiry_id")
    with connection.cursor() as c:
        c.execute("SELECT count(*) FROM pg_indexes WHERE indexname = 'history_msgindex_brin'")
        has_brin = c.fetchone()[0] == 1
    print(f"BRIN present: {has_brin}; load average {os.getloadavg()}")
    times: dict[tuple[str, str], list[float]] = {}
    same = True

    def run(word: str) -> tuple[float, list[tuple[int, float]]]:
        terms = query_terms(word)
        started = time.perf_counter()
        rows = search._candidates("message", terms, narrowing, search.CANDIDATES, staff)
        return (time.perf_counter() - started) * 1000, rows

    for rep in range(args.reps):
        for word in WORDS:
            variants = ("brin", "btree") if rep % 2 == 0 else ("btree", "brin")
            got = {}
            for variant in variants:
                if variant == "brin" or not has_brin:
                    if variant == "brin" and not has_brin:
                        continue
                    ms, rows = run(word)
                else:
                    try:
                        with transaction.atomic():
                            with connection.cursor() as c:
                                c.execute("DROP INDEX history_msgindex_brin")
                            ms, rows = run(word)
                            raise _Rollback
                    except _Rollback:
                        pass
                times.setdefault((word, variant), []).append(ms)
                got[variant] = rows
            if len(got) == 2 and got["brin"] != got["btree"]:
                same = False
    print(f"{'word':10} {'BRIN p50/p95/max':>22} {'btree p50/p95/max':>22}")
    for word in WORDS:
        cells = []
        for variant in ("brin", "btree"):
            t = sorted(times.get((word, variant), []))
            if not t:
                cells.append(f"{'-':>22}")
                continue
            p95 = t[max(0, int(round(0.95 * len(t))) - 1)]
            cells.append(f"{statistics.median(t):8.0f} /{p95:6.0f} /{t[-1]:6.0f}")
        print(f"{word:10} {cells[0]} {cells[1]}")
    print(f"same candidates with both: {same}")
    print(f"load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
