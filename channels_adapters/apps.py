from django.apps import AppConfig

# How often the embedded ticker resumes lost platform work (beat: "sweep-outbound",
# "sweep-inbound").
LOST_WORK_SWEEP_SECONDS = 30.0


class ChannelsAdaptersConfig(AppConfig):
    name = "channels_adapters"

    def ready(self) -> None:
        from channels_adapters import outbound
        from channels_adapters.directory import staff_availability_publish
        from channels_adapters.services import tag_channels_usage
        from contactcenter.org.background import register_sweep
        from contactcenter.org.services import on_staff_availability_changed, on_tag_usage
        from rooms import hooks

        # Staff replies to platform customers whose send was lost; webhook events whose
        # processing was.
        register_sweep("channels_adapters.outbound.outbound_resume_due", every=LOST_WORK_SWEEP_SECONDS)
        register_sweep("channels_adapters.inbound.inbound_process_pending", every=LOST_WORK_SWEEP_SECONDS)
        # Staff messages in platform and email enquiries: refused once the reply window has
        # closed, and queued to be sent to the customer.
        hooks.register_post_rules(
            check=outbound.outbound_post_check,
            before_insert=outbound.outbound_mark_sending,
            after_post=outbound.outbound_after_post,
        )
        # Deleting a tag: refused while a channel routes to it.
        on_tag_usage(tag_channels_usage)
        # Availability changes reach the visitors whose directory or chat shows the person.
        on_staff_availability_changed(staff_availability_publish)
