from django.apps import AppConfig


class EnquiriesConfig(AppConfig):
    name = "enquiries"

    def ready(self) -> None:
        # In ready(): the services import models, which are loaded only now.
        from contactcenter.org.background import register_sweep
        from contactcenter.org.services import on_staff_became_active, on_tag_usage
        from enquiries import posting, room_info, room_list
        from enquiries.selectors import tag_enquiries_usage, visitor_reads_room
        from enquiries.services import enquiries_alert_newly_active
        from enquiries.system_texts import VISITOR_TEXTS
        from rooms import hooks
        from rooms.system_texts import register_system_texts

        # Deadlines: every tick of the embedded ticker, and of the production web ticker
        # while it holds the advisory lock (beat: "sweep-timers").
        register_sweep("enquiries.services.timers_sweep", web=True)
        on_staff_became_active(enquiries_alert_newly_active)
        # Deleting a tag: refused while enquiries wait on it.
        on_tag_usage(tag_enquiries_usage)
        # Posting in an enquiry's room: its lock, who may post, reopen, first response.
        hooks.register_rooms_locker(posting.rooms_lock)
        hooks.register_post_rules(
            check=posting.post_check,
            before_insert=posting.post_before_insert,
            after_post=posting.post_after,
            change_check=posting.change_check,
        )
        hooks.register_owner_info(room_info.enquiry_room_info)
        hooks.register_room_list_extras(room_list.enquiry_room_list_extras)
        # Staff may look at an enquiry's room before picking it up, and at a missed one
        # they follow up, without being members.
        hooks.register_room_viewer(room_info.enquiry_room_viewer)
        # A verified customer's other devices read the files of their earlier conversations.
        hooks.register_visitor_reader(visitor_reads_room)
        # The visitor's system messages, worded in their language when read.
        register_system_texts(VISITOR_TEXTS)
