from enquiries import services
from enquiries.models import Enquiry
from rooms.services import message_post


def test_open_pick_up_chat_resolve(open_enquiry, make_staff, support, events, clock):
    a = make_staff(tags=[support])
    b = make_staff(tags=[support])
    e = open_enquiry()
    assert e.status == Enquiry.Status.OPEN
    assert {g for gs, p in events.of_type("enquiry.opened") for g in gs} >= {f"staff.{a.pk}", f"staff.{b.pk}"}
    services.enquiry_pick_up(actor=a, enquiry_id=e.pk)
    e.refresh_from_db()
    assert e.owner == a and e.status == "handling"
    assert events.of_type("enquiry.taken")[0][0] == [f"staff.{b.pk}"]
    m, created = message_post(room_id=e.room.pk, text="hi", client_id="x1", staff=a)
    m2, created2 = message_post(room_id=e.room.pk, text="hi", client_id="x1", staff=a)
    assert created and not created2 and m.pk == m2.pk
    services.enquiry_resolve(actor=a, enquiry_id=e.pk)
    clock.advance(15 * 60 + 1)
    assert services.timers_sweep()["closed"] == 1
    e.refresh_from_db()
    assert e.status == "closed"


def test_timeout(open_enquiry, make_staff, support, clock, events):
    make_staff(tags=[support])
    e = open_enquiry()
    clock.advance(59)
    assert services.timers_sweep()["missed"] == 0
    clock.advance(1)
    assert services.timers_sweep()["missed"] == 1
    assert services.timers_sweep()["missed"] == 0
    e.refresh_from_db()
    assert e.status == "missed" and e.missed_reason == "timeout"


def test_api_flow(api, admin, make_staff, support, widget):
    agent = make_staff(tags=[support])
    r = api().post(
        "/api/v1/widget/enquiries",
        {"channel_key": widget.key, "visitor": {"first_name": "Bo"}, "message": "Hi"},
        format="json",
    )
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["queue_position"] == 1
    c = api(agent)
    panel = c.get("/api/v1/enquiries?status=open").json()["results"]
    assert [x["id"] for x in panel] == [body["id"]]
    r = c.post(f"/api/v1/enquiries/{body['id']}/pick-up")
    assert r.status_code == 200, r.json()
    room = r.json()["room"]
    v = api()
    v.credentials(HTTP_AUTHORIZATION=f"Visitor {body['visitor_token']}")
    r = v.post(f"/api/v1/rooms/{room}/messages", {"text": "hello", "client_id": "c1"}, format="json")
    assert r.status_code == 201, r.json()
    msgs = v.get(f"/api/v1/rooms/{room}/messages").json()["results"]
    assert all(m["data"].get("visibility") != "staff" for m in msgs)
    staff_msgs = c.get(f"/api/v1/rooms/{room}/messages").json()["results"]
    assert len(staff_msgs) > len(msgs)
    assert api(admin).get("/api/v1/monitoring/overview").status_code == 200
    assert c.get("/api/v1/monitoring/overview").status_code == 403
