"""The owner's Leave and the transfer target's Accept at the same moment, for real on
PostgreSQL through the REST API (issue 12, item 7): exactly one wins, and the loser is told
what happened in words that are true: the owner that the target took the enquiry (which
stays open), the target that the owner left and closed it (the transfer was cancelled)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from rest_framework.test import APIClient

from contactcenter.org.models import Staff, Tag
from enquiries import services
from enquiries.models import Enquiry, Transfer
from tests.concurrency import race
from tests.conftest import api_client_for

ROUNDS = 8


def _post(http: APIClient, url: str) -> Callable[[], Any]:
    return lambda: http.post(url)


def test_leave_and_accept_at_once_tell_the_loser_the_truth(
    race_setup: None, make_staff: Callable[..., Staff], support: Tag, open_enquiry: Callable[..., Enquiry]
) -> None:
    owner = make_staff(tags=[support], name="Olive Owner", max_concurrent=100)
    target = make_staff(name="Tom Target", max_concurrent=100)
    owner_http, target_http = api_client_for(owner), api_client_for(target)
    outcomes: Counter[str] = Counter()
    for _ in range(ROUNDS):
        enquiry = open_enquiry()
        services.enquiry_pick_up(actor=owner, enquiry_id=enquiry.pk)
        services.enquiry_transfer(actor=owner, enquiry_id=enquiry.pk, to_staff=target)
        base = f"/api/v1/enquiries/{enquiry.pk}"
        leave, accept = race(
            [_post(owner_http, f"{base}/leave"), _post(target_http, f"{base}/pick-up")], what="a request"
        )
        enquiry.refresh_from_db()
        transfer = Transfer.objects.get(enquiry=enquiry)
        if leave.status_code == 200:
            outcomes["leave won"] += 1
            assert accept.status_code == 409, accept.content
            assert accept.json()["code"] == "transfer_ended"
            assert accept.json()["detail"] == (
                "Olive Owner left and closed the enquiry before you accepted: the transfer was cancelled."
            )
            assert enquiry.status == Enquiry.Status.CLOSED and transfer.status == Transfer.Status.LAPSED
        else:
            outcomes["accept won"] += 1
            assert accept.status_code == 200, accept.content
            assert leave.status_code == 409, leave.content
            assert leave.json()["code"] == "transferred"
            assert leave.json()["detail"].startswith("Tom Target accepted your transfer before you left")
            assert enquiry.status == Enquiry.Status.HANDLING and enquiry.owner_id == target.pk
            assert transfer.status == Transfer.Status.ACCEPTED
    assert sum(outcomes.values()) == ROUNDS, outcomes
