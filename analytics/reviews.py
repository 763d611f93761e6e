"""Quality review (SPEC section 10): admins score finished conversations against a rubric
they define, agents read the reviews of their own conversations.

Rules (README, "Quality review"):
- The rubric is a list of criteria (name, description, weight 1-100, active, position).
  Deleting a criterion that a review used archives it (out of the rubric, kept by the
  reviews); one no review used is deleted.
- Only admins write reviews, of a resolved or closed enquiry that has an owner (missed
  enquiries had no conversation with an agent: 409, as open and handling ones). Admins
  do not review their own conversations (400). The reviewed agent is the enquiry's owner
  when the review is written.
- Every active criterion gets a score 1-5 (and no other criterion does); the total is the
  mean of the scores weighted by the criteria's weights at the time, to two decimals.
- One review per (enquiry, reviewer): a second POST is refused (409, code
  ``already_reviewed``) and changes nothing; the author changes theirs with PATCH. Any
  admin may delete a review (moderation, or one whose author has left).
- The reviewed agent is notified (``notifications``, kind ``review``) when it is written.
- Dates (``from``/``to``) select by the conversation's start, in the business's time zone.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from analytics.reviews_models import Review, ReviewCriterion, ReviewScore
from contactcenter.org import clock
from contactcenter.org.errors import Conflict, InvalidInput, NotAuthorized, NotFound
from contactcenter.org.i18n import business_time_zone
from contactcenter.org.models import Staff
from contactcenter.org.text import text_check
from enquiries.models import Enquiry
from history.filters import parse_filters
from notifications.models import Notification
from notifications.services import notification_add

NAME_MAX = ReviewCriterion._meta.get_field("name").max_length or 80
DESCRIPTION_MAX = 1000
COMMENT_MAX = 4000
WEIGHT_MAX = 100
# A rubric longer than this is no longer one a person scores conversation by conversation.
CRITERIA_MAX = 30
SAMPLE_DEFAULT = 5
SAMPLE_MAX = 20
# The sample's default range: the last SAMPLE_DAYS calendar days, today included.
SAMPLE_DAYS = 7
LIST_DEFAULT = 50
LIST_MAX = 200
REVIEWABLE = (Enquiry.Status.RESOLVED, Enquiry.Status.CLOSED)

UNSET: Any = object()

# The sample's random source: uniform, unseeded; tests replace it with a seeded one.
sample_random = random.Random()  # noqa: S311 (a sample to read, not a secret)


# ---------------------------------------------------------------------------- checks


def _require_admin(actor: Staff, message: str) -> None:
    if not actor.is_admin:
        raise NotAuthorized(message)


def _whole(name: str, raw: Any, low: int, high: int, message: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not low <= raw <= high:
        raise InvalidInput.field(name, message)
    return raw


def _clean_name(raw: Any) -> str:
    if not isinstance(raw, str):
        raise InvalidInput.field("name", _("The name must be text."))
    clean = text_check(" ".join(raw.split()), field="name")
    if not clean:
        raise InvalidInput.field("name", _("Give the criterion a name."))
    if len(clean) > NAME_MAX:
        raise InvalidInput.field("name", _("A criterion's name is limited to %(n)s characters.") % {"n": NAME_MAX})
    return clean


def _clean_description(raw: Any) -> str:
    if not isinstance(raw, str):
        raise InvalidInput.field("description", _("The description must be text."))
    clean = text_check(raw.strip(), field="description")
    if len(clean) > DESCRIPTION_MAX:
        raise InvalidInput.field(
            "description", _("A description is limited to %(n)s characters.") % {"n": DESCRIPTION_MAX}
        )
    return clean


def _clean_weight(raw: Any) -> int:
    return _whole("weight", raw, 1, WEIGHT_MAX, _("Use a whole number from 1 to %(n)s.") % {"n": WEIGHT_MAX})


def _clean_active(raw: Any) -> bool:
    if not isinstance(raw, bool):
        raise InvalidInput.field("active", _("Use true or false."))
    return raw


def _clean_comment(raw: Any) -> str:
    if not isinstance(raw, str):
        raise InvalidInput.field("comment", _("The comment must be text."))
    clean = text_check(raw.strip(), field="comment")
    if len(clean) > COMMENT_MAX:
        raise InvalidInput.field("comment", _("A comment is limited to %(n)s characters.") % {"n": COMMENT_MAX})
    return clean


# ---------------------------------------------------------------------------- the rubric


def criteria_list(*, archived: bool = False) -> list[ReviewCriterion]:
    """The rubric in its order (``archived``: the archived criteria after it)."""
    current = list(ReviewCriterion.objects.filter(archived_at__isnull=True).order_by("position", "id"))
    if not archived:
        return current
    return current + list(ReviewCriterion.objects.filter(archived_at__isnull=False).order_by("archived_at", "id"))


def _taken(name: str, *, exclude: int | None = None) -> bool:
    same = ReviewCriterion.objects.filter(archived_at__isnull=True, name__iexact=name)
    if exclude is not None:
        same = same.exclude(pk=exclude)
    return same.exists()


def _duplicate(name: str) -> Conflict:
    return Conflict(_("There is already a criterion %(name)s.") % {"name": name}, code="duplicate")


def _renumber(ordered: list[ReviewCriterion]) -> None:
    for index, item in enumerate(ordered):
        if item.position != index:
            item.position = index
            item.save(update_fields=["position"])


def _lock_rubric() -> list[ReviewCriterion]:
    """Every criterion of the rubric, locked, in its order: changes of the rubric (names,
    positions) are made one at a time."""
    return list(ReviewCriterion.objects.select_for_update().filter(archived_at__isnull=True).order_by("position", "id"))


def _clean_position(raw: Any, count: int) -> int:
    return _whole(
        "position", raw, 0, max(0, count - 1), _("Use a position from 0 to %(n)s.") % {"n": max(0, count - 1)}
    )


def criterion_create(
    *,
    actor: Staff,
    name: Any,
    description: Any = "",
    weight: Any = 1,
    active: Any = True,
    position: Any = UNSET,
) -> ReviewCriterion:
    """An admin adds a criterion to the rubric (last, or at ``position``). Names are unique
    among the rubric's criteria, ignoring case (409)."""
    _require_admin(actor, _("Only admins can change the review rubric."))
    clean_name = _clean_name(name)
    clean_description = _clean_description(description)
    clean_weight = _clean_weight(weight)
    clean_active = _clean_active(active)
    with transaction.atomic():
        rubric = _lock_rubric()
        if len(rubric) >= CRITERIA_MAX:
            raise Conflict(_("The rubric already has %(n)s criteria.") % {"n": CRITERIA_MAX}, code="too_many")
        at = len(rubric) if position is UNSET else _clean_position(position, len(rubric) + 1)
        if _taken(clean_name):
            raise _duplicate(clean_name)
        item = ReviewCriterion.objects.create(
            name=clean_name,
            description=clean_description,
            weight=clean_weight,
            active=clean_active,
            position=at,
            created_at=clock.now(),
        )
        _renumber([*rubric[:at], item, *rubric[at:]])
    return item


def _criterion_in(rubric: list[ReviewCriterion], criterion_id: int) -> ReviewCriterion:
    for item in rubric:
        if item.pk == criterion_id:
            return item
    raise NotFound(_("Criterion not found."))


def criterion_update(
    *,
    actor: Staff,
    criterion_id: int,
    name: Any = UNSET,
    description: Any = UNSET,
    weight: Any = UNSET,
    active: Any = UNSET,
    position: Any = UNSET,
) -> ReviewCriterion:
    """An admin changes a criterion of the rubric (archived ones: 404). A new weight counts
    for reviews written from now on; ``position`` moves it, the others shift."""
    _require_admin(actor, _("Only admins can change the review rubric."))
    clean_name = _clean_name(name) if name is not UNSET else None
    changes: dict[str, Any] = {}
    if description is not UNSET:
        changes["description"] = _clean_description(description)
    if weight is not UNSET:
        changes["weight"] = _clean_weight(weight)
    if active is not UNSET:
        changes["active"] = _clean_active(active)
    with transaction.atomic():
        rubric = _lock_rubric()
        item = _criterion_in(rubric, criterion_id)
        at = _clean_position(position, len(rubric)) if position is not UNSET else None
        if clean_name is not None and clean_name != item.name:
            if _taken(clean_name, exclude=item.pk):
                raise _duplicate(clean_name)
            changes["name"] = clean_name
        changed = [key for key, value in changes.items() if getattr(item, key) != value]
        for key in changed:
            setattr(item, key, changes[key])
        if changed:
            item.save(update_fields=changed)
        if at is not None:
            others = [c for c in rubric if c.pk != item.pk]
            _renumber([*others[:at], item, *others[at:]])
    return item


def criterion_delete(*, actor: Staff, criterion_id: int) -> dict[str, Any]:
    """An admin takes a criterion out of the rubric: deleted if no review scored it, else
    archived (kept, with its name, for those reviews). -> {"deleted": bool, "archived": bool}."""
    _require_admin(actor, _("Only admins can change the review rubric."))
    with transaction.atomic():
        rubric = _lock_rubric()
        item = _criterion_in(rubric, criterion_id)
        rest = [c for c in rubric if c.pk != item.pk]
        if ReviewScore.objects.filter(criterion_id=item.pk).exists():
            item.archived_at = clock.now()
            item.active = False
            item.save(update_fields=["archived_at", "active"])
            archived = True
        else:
            item.delete()
            archived = False
        _renumber(rest)
    return {"deleted": not archived, "archived": archived}


# ---------------------------------------------------------------------------- writing reviews


def _clean_scores(raw: Any, active: list[ReviewCriterion]) -> dict[int, int]:
    """{criterion id: score} for exactly the active criteria, each score 1-5."""
    if not active:
        raise Conflict(_("The rubric has no active criterion: add one first."), code="no_criteria")
    if not isinstance(raw, dict):
        raise InvalidInput.field("scores", _('Give the scores as {"<criterion id>": 1-5, ...}.'))
    by_id = {c.pk: c for c in active}
    scores: dict[int, int] = {}
    for key, value in raw.items():
        text = str(key)
        criterion = by_id.get(int(text)) if text.isascii() and text.isdigit() and len(text) < 19 else None
        if criterion is None:
            raise InvalidInput.field(
                "scores", _("%(key)s is not a criterion of the rubric that is scored now.") % {"key": text[:20]}
            )
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            raise InvalidInput.field(
                "scores", _("Score %(name)s with a whole number from 1 to 5.") % {"name": criterion.name}
            )
        scores[criterion.pk] = value
    missing = [c.name for c in active if c.pk not in scores]
    if missing:
        raise InvalidInput.field(
            "scores", _("Score every criterion; missing: %(names)s.") % {"names": ", ".join(missing)}
        )
    return scores


def two_decimals(value: Any) -> float:
    """An average as the API shows it: two decimals, half up (Avg gives a Decimal or a float)."""
    return float(Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def weighted_total(pairs: list[tuple[int, int]]) -> Decimal:
    """The mean of (score, weight) pairs weighted by the weights, to two decimals (half up)."""
    weights = sum(w for _s, w in pairs)
    exact = Decimal(sum(s * w for s, w in pairs)) / Decimal(weights)
    return exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _write_scores(review: Review, scores: dict[int, int], active: list[ReviewCriterion]) -> None:
    weights = {c.pk: c.weight for c in active}
    review.scores.all().delete()
    ReviewScore.objects.bulk_create(
        [ReviewScore(review=review, criterion_id=cid, score=s, weight=weights[cid]) for cid, s in scores.items()]
    )
    review.total = weighted_total([(s, weights[cid]) for cid, s in scores.items()])


def _active_criteria() -> list[ReviewCriterion]:
    # Locked: an admin's rubric change at the same moment waits for this review (or the
    # review waits, and sees the rubric as it is after the change).
    return list(
        ReviewCriterion.objects.select_for_update()
        .filter(archived_at__isnull=True, active=True)
        .order_by("position", "id")
    )


def review_create(*, actor: Staff, enquiry_id: Any, scores: Any, comment: Any = "") -> Review:
    """An admin reviews a finished enquiry (see the module's rules); the owner is notified.
    Everything is checked before anything is written. Locks the rubric's active criteria."""
    _require_admin(actor, _("Only admins can review conversations."))
    if isinstance(enquiry_id, bool) or not isinstance(enquiry_id, int):
        raise InvalidInput.field("enquiry", _("Give the enquiry's id."))
    clean_comment = _clean_comment(comment)
    with transaction.atomic():
        enquiry = Enquiry.objects.filter(pk=enquiry_id).first()
        if enquiry is None:
            raise InvalidInput.field("enquiry", _("There is no such enquiry."))
        if enquiry.status not in REVIEWABLE or enquiry.owner_id is None:
            raise Conflict(
                _("Only a resolved or closed conversation with an agent can be reviewed."), code="not_finished"
            )
        if enquiry.owner_id == actor.pk:
            raise InvalidInput.field("enquiry", _("You cannot review your own conversation."))
        if Review.objects.filter(enquiry_id=enquiry.pk, reviewer_id=actor.pk).exists():
            raise Conflict(
                _("You have already reviewed this conversation: change your review."), code="already_reviewed"
            )
        active = _active_criteria()
        clean_scores = _clean_scores(scores, active)
        now = clock.now()
        review = Review(
            enquiry=enquiry,
            agent_id=enquiry.owner_id,
            reviewer=actor,
            conversation_at=enquiry.created_at,
            total=Decimal(0),
            comment=clean_comment,
            created_at=now,
            updated_at=now,
        )
        try:
            with transaction.atomic():
                review.save()
        except IntegrityError:  # the same admin's second POST at the same moment
            raise Conflict(
                _("You have already reviewed this conversation: change your review."), code="already_reviewed"
            ) from None
        _write_scores(review, clean_scores, active)
        review.save(update_fields=["total"])
        notification_add(
            staff_ids=[enquiry.owner_id],
            kind=Notification.Kind.REVIEW,
            enquiry_id=enquiry.pk,
            actor_id=actor.pk,
            data={"review": review.pk, "score": float(review.total)},
        )
    return review


def _lock_review(review_id: int) -> Review:
    review = Review.objects.select_for_update().filter(pk=review_id).first()
    if review is None:
        raise NotFound(_("Review not found."))
    return review


def review_update(*, actor: Staff, review_id: int, scores: Any = UNSET, comment: Any = UNSET) -> Review:
    """The admin who wrote a review changes it: ``scores`` (when given) is the whole new set,
    checked as when writing one (every criterion active now); ``comment`` replaces the
    comment. Other admins: 403; agents: 403. Locks the review row."""
    _require_admin(actor, _("Only admins can review conversations."))
    clean_comment = _clean_comment(comment) if comment is not UNSET else None
    with transaction.atomic():
        review = _lock_review(review_id)
        if review.reviewer_id != actor.pk:
            raise NotAuthorized(_("Only the admin who wrote a review can change it."))
        fields: list[str] = []
        if scores is not UNSET:
            active = _active_criteria()
            _write_scores(review, _clean_scores(scores, active), active)
            fields.append("total")
        if clean_comment is not None:
            review.comment = clean_comment
            fields.append("comment")
        if fields:
            review.updated_at = clock.now()
            review.save(update_fields=[*fields, "updated_at"])
    return review


def review_delete(*, actor: Staff, review_id: int) -> None:
    """Any admin deletes a review (with its scores). Agents: 403."""
    _require_admin(actor, _("Only admins can delete reviews."))
    with transaction.atomic():
        _lock_review(review_id).delete()


# ---------------------------------------------------------------------------- reads


def business_zone() -> ZoneInfo:
    return ZoneInfo(business_time_zone())


def date_range(params: Mapping[str, Any]) -> tuple[dt.datetime | None, dt.datetime | None]:
    """``from`` / ``to`` of a query: a date (its whole day in the business's time zone;
    ``to`` included) or an ISO time. InvalidInput with the field for a bad one."""
    with timezone.override(business_zone()):
        filters = parse_filters({k: params.get(k) for k in ("from", "to")})
    return filters.since, filters.until


def _id_param(params: Mapping[str, Any], name: str) -> int | None:
    raw = params.get(name)
    if raw in (None, ""):
        return None
    text = str(raw)
    if not (text.isascii() and text.isdigit()) or len(text) > 18 or int(text) < 1:
        raise InvalidInput.field(name, _("Use a positive whole number."))
    return int(text)


@dataclass(frozen=True)
class ReviewQuery:
    agent: int | None
    enquiry: int | None
    reviewer: int | None
    since: dt.datetime | None
    until: dt.datetime | None
    before: int | None
    limit: int


def review_query_parse(staff: Staff, params: Mapping[str, Any]) -> ReviewQuery:
    """The filters of a review list. Agents read the reviews of themselves only: their own
    id is the agent filter, and asking for another agent's is refused (403)."""
    since, until = date_range(params)
    agent = _id_param(params, "agent")
    if not staff.is_admin:
        if agent is not None and agent != staff.pk:
            raise NotAuthorized(_("Agents can read only the reviews of their own conversations."))
        agent = staff.pk
    limit = _id_param(params, "limit") or LIST_DEFAULT
    if limit > LIST_MAX:
        raise InvalidInput.field("limit", _("Use a number from 1 to %(max)d.") % {"max": LIST_MAX})
    return ReviewQuery(
        agent=agent,
        enquiry=_id_param(params, "enquiry"),
        reviewer=_id_param(params, "reviewer"),
        since=since,
        until=until,
        before=_id_param(params, "cursor"),
        limit=limit,
    )


def _with_details(reviews: QuerySet[Review]) -> QuerySet[Review]:
    return reviews.select_related(
        "agent", "reviewer", "enquiry", "enquiry__channel", "enquiry__visitor", "enquiry__visitor__customer"
    ).prefetch_related("scores__criterion")


def _in_range(reviews: QuerySet[Review], since: dt.datetime | None, until: dt.datetime | None) -> QuerySet[Review]:
    if since is not None:
        reviews = reviews.filter(conversation_at__gte=since)
    if until is not None:
        reviews = reviews.filter(conversation_at__lt=until)
    return reviews


def review_page(query: ReviewQuery) -> tuple[list[Review], int | None]:
    """One page of reviews, newest first, and the cursor of the next (None: the last)."""
    reviews = Review.objects.all()
    if query.agent is not None:
        reviews = reviews.filter(agent_id=query.agent)
    if query.enquiry is not None:
        reviews = reviews.filter(enquiry_id=query.enquiry)
    if query.reviewer is not None:
        reviews = reviews.filter(reviewer_id=query.reviewer)
    if query.before is not None:
        reviews = reviews.filter(pk__lt=query.before)
    reviews = _in_range(reviews, query.since, query.until)
    rows = list(_with_details(reviews).order_by("-id")[: query.limit + 1])
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    return rows, (rows[-1].pk if more and rows else None)


def access_review(staff: Staff, review_id: int) -> Review:
    """A review ``staff`` may read: admins any, agents those of themselves. NotFound
    otherwise (an agent does not learn which reviews of others exist)."""
    reviews = _with_details(Review.objects.filter(pk=review_id))
    if not staff.is_admin:
        reviews = reviews.filter(agent_id=staff.pk)
    review = reviews.first()
    if review is None:
        raise NotFound(_("Review not found."))
    return review


def customer_name(enquiry: Enquiry) -> str:
    visitor = enquiry.visitor
    customer = visitor.customer
    return (customer.name if customer is not None else "") or visitor.display_name


def review_data(review: Review, *, viewer: Staff) -> dict[str, Any]:
    """The one JSON shape of a review (``review`` as ``_with_details`` loads it)."""
    enquiry = review.enquiry
    scores = sorted(review.scores.all(), key=lambda s: (s.criterion.position, s.criterion_id))
    return {
        "id": review.pk,
        "enquiry": {
            "id": enquiry.pk,
            "channel": {"id": enquiry.channel.pk, "kind": enquiry.channel.kind, "name": enquiry.channel.name},
            "via": enquiry.via or enquiry.channel.kind,
            "customer": customer_name(enquiry),
            "created_at": enquiry.created_at.isoformat(),
            "topic": enquiry.topic,
        },
        "agent": {"id": review.agent.pk, "name": review.agent.display_name},
        "reviewer": {"id": review.reviewer.pk, "name": review.reviewer.display_name},
        "scores": [
            {
                "criterion": s.criterion_id,
                "name": s.criterion.name,
                "weight": s.weight,
                "score": s.score,
                "archived": s.criterion.archived_at is not None,
            }
            for s in scores
        ],
        "total": float(review.total),
        "comment": review.comment,
        "created_at": review.created_at.isoformat(),
        "updated_at": review.updated_at.isoformat(),
        "editable": viewer.is_admin and review.reviewer_id == viewer.pk,
        "deletable": viewer.is_admin,
    }


def review_summary(staff: Staff, params: Mapping[str, Any]) -> dict[str, Any]:
    """Per agent, over the conversations started in the range: how many reviews, the average
    total, and the average score of each criterion. Admins: every reviewed agent (or
    ``agent``); agents: themselves only (403 for another). Three queries."""
    query = review_query_parse(staff, params)
    reviews = _in_range(Review.objects.all(), query.since, query.until)
    if query.agent is not None:
        reviews = reviews.filter(agent_id=query.agent)
    totals = list(
        reviews.order_by()
        .values("agent_id")
        .annotate(count=Count("id"), avg=Avg("total"))
        .values_list("agent_id", "count", "avg")
    )
    per_criterion = list(
        ReviewScore.objects.filter(review__in=reviews.values("pk"))
        .order_by()
        .values("review__agent_id", "criterion_id")
        .annotate(count=Count("id"), avg=Avg("score"))
        .values_list("review__agent_id", "criterion_id", "count", "avg")
    )
    used = {cid for _a, cid, _n, _v in per_criterion}
    criteria = [c for c in criteria_list(archived=True) if c.archived_at is None or c.pk in used]
    names = dict(Staff.objects.filter(pk__in=[a for a, _n, _v in totals]).values_list("id", "display_name"))
    by_agent: dict[int, dict[int, dict[str, Any]]] = {}
    for agent_id, cid, count, avg in per_criterion:
        by_agent.setdefault(agent_id, {})[cid] = {"criterion": cid, "count": count, "average": two_decimals(avg)}
    rows: list[dict[str, Any]] = [
        {
            "agent": {"id": agent_id, "name": names.get(agent_id, "")},
            "reviews": count,
            "average": two_decimals(avg),
            "criteria": [by_agent.get(agent_id, {}).get(c.pk) for c in criteria if c.pk in by_agent.get(agent_id, {})],
        }
        for agent_id, count, avg in totals
    ]
    rows.sort(key=lambda r: (-r["average"], r["agent"]["name"], r["agent"]["id"]))
    return {
        "from": query.since.isoformat() if query.since else None,
        "to": query.until.isoformat() if query.until else None,
        "criteria": [criterion_data(c) for c in criteria],
        "rows": rows,
    }


def criterion_data(item: ReviewCriterion) -> dict[str, Any]:
    return {
        "id": item.pk,
        "name": item.name,
        "description": item.description,
        "weight": item.weight,
        "active": item.active,
        "position": item.position,
        "archived": item.archived_at is not None,
    }


# ---------------------------------------------------------------------------- the sample


def sample_default_range(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The last SAMPLE_DAYS calendar days in the business's time zone, today included:
    [midnight SAMPLE_DAYS - 1 days before today, the coming midnight)."""
    zone = business_zone()
    today = now.astimezone(zone).date()
    start = dt.datetime.combine(today - dt.timedelta(days=SAMPLE_DAYS - 1), dt.time(), tzinfo=zone)
    end = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return start, end


def review_sample(*, actor: Staff, params: Mapping[str, Any]) -> tuple[list[Enquiry], dt.datetime, dt.datetime]:
    """Up to ``count`` (default 5, at most 20) enquiries of ``agent``, chosen uniformly at
    random among those they own that are resolved or closed, started in the range (default:
    the last 7 days in the business's time zone) and not reviewed by anyone yet. Admins
    only. -> (enquiries, newest first; the range's start; its end)."""
    _require_admin(actor, _("Only admins can review conversations."))
    agent_id = _id_param(params, "agent")
    if agent_id is None:
        raise InvalidInput.field("agent", _("Choose an agent."))
    if not Staff.objects.filter(pk=agent_id).exists():
        raise InvalidInput.field("agent", _("There is no such staff member."))
    count = _id_param(params, "count") or SAMPLE_DEFAULT
    if count > SAMPLE_MAX:
        raise InvalidInput.field("count", _("Use a number from 1 to %(max)d.") % {"max": SAMPLE_MAX})
    since, until = date_range(params)
    default_since, default_until = sample_default_range(clock.now())
    since = since or default_since
    until = until or default_until
    if since >= until:
        raise InvalidInput.field("to", _("The end of the range must be after its start."))
    reviewed = Review.objects.filter(enquiry_id=OuterRef("pk"))
    candidates = list(
        Enquiry.objects.filter(
            Q(owner_id=agent_id, status__in=REVIEWABLE, created_at__gte=since, created_at__lt=until),
            ~Exists(reviewed),
        )
        .order_by("id")
        .values_list("id", flat=True)
    )
    chosen = sample_random.sample(candidates, min(count, len(candidates)))
    rows = (
        Enquiry.objects.filter(pk__in=chosen)
        .select_related("channel", "visitor", "visitor__customer", "owner")
        .order_by("-created_at", "-id")
    )
    return list(rows), since, until


def sample_row(enquiry: Enquiry) -> dict[str, Any]:
    return {
        "id": enquiry.pk,
        "status": enquiry.status,
        "channel": {"id": enquiry.channel.pk, "kind": enquiry.channel.kind, "name": enquiry.channel.name},
        "via": enquiry.via or enquiry.channel.kind,
        "customer": customer_name(enquiry),
        "created_at": enquiry.created_at.isoformat(),
        "topic": enquiry.topic,
        "first_message": enquiry.first_message,
    }
