"""The daily rollups against the facts, in one process, alternated (issue 15): every
unfiltered admin report of a 90-day range (each group_by, and the agents' ranking) read
with CC_ANALYTICS_ROLLUPS on and off in turn, so the machine's load weighs on both alike;
the answers must be equal. Prints p50 / p95 / max ms per request and variant.

    DATABASE_URL=postgres://.../cc_bench_copy python bench/analytics_rollups_ab.py --reps 10
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contactcenter.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402


def main() -> None:
    from analytics import reports
    from analytics.facts_models import EnquiryFact
    from contactcenter.org.models import Staff

    p = argparse.ArgumentParser()
    p.add_argument("--reps", type=int, default=10)
    p.add_argument("--days", type=int, default=90)
    args = p.parse_args()
    last = EnquiryFact.objects.order_by("-created_at").values_list("created_at", flat=True).first()
    assert last is not None, "no facts: run manage.py analytics_rebuild"
    end = last.date()
    start = end - dt.timedelta(days=args.days - 1)
    params = {"from": start.isoformat(), "to": end.isoformat()}
    admin = Staff.objects.filter(role=Staff.Role.ADMIN).first()
    assert admin is not None
    print(f"range {params['from']} .. {params['to']}; load average {os.getloadavg()}")

    def ask(name: str) -> object:
        if name == "agents":
            return reports.agents_ranking(admin, params)
        return reports.summary(reports.summary_query_parse(admin, {**params, "group_by": name}))

    names = [*reports.GROUP_BYS, "agents"]
    times: dict[tuple[str, bool], list[float]] = {}
    equal = True
    for rep in range(args.reps + 1):
        for name in names:
            answers = {}
            for on in (True, False) if rep % 2 == 0 else (False, True):
                settings.CC_ANALYTICS_ROLLUPS = on
                started = time.perf_counter()
                answers[on] = ask(name)
                if rep:  # the first round warms up
                    times.setdefault((name, on), []).append((time.perf_counter() - started) * 1000)
            if answers[True] != answers[False]:
                equal = False
                print(f"DIFFERENT: {name}")
    print(f"{'request (admin, 90 days)':28} {'facts p50/p95/max':>24} {'rollups p50/p95/max':>24}")
    for name in names:
        cells = []
        for on in (False, True):
            t = sorted(times[(name, on)])
            p95 = t[max(0, round(0.95 * len(t)) - 1)]
            cells.append(f"{statistics.median(t):8.0f} /{p95:6.0f} /{t[-1]:6.0f}")
        print(f"{name:28} {cells[0]:>24} {cells[1]:>24}")
    print(f"answers equal: {equal}; load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
