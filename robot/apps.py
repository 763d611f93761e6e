"""The robot (SPEC section 11): a knowledge base of articles and a robot that answers a
channel's visitors first, from the knowledge base (full-text; written by the AI provider when one
is configured), and hands over to a person. Above ai."""

from django.apps import AppConfig


class RobotConfig(AppConfig):
    name = "robot"

    def ready(self) -> None:
        # In ready(): the services import models, which are loaded only now.
        from ai.hooks import register_reply_context
        from contactcenter.org.background import register_sweep
        from enquiries.hooks import register_enquiry_event_observer, register_open_holder
        from robot import services
        from rooms.hooks import register_message_observers

        # A new enquiry on a channel with a robot is held: the robot answers first.
        register_open_holder(services.robot_hold)
        # Each customer message of a held enquiry: the robot answers (a task, after commit).
        register_message_observers(posted=services.robot_messages_posted)
        # A held enquiry that closes ends its robot conversation (for the figures).
        register_enquiry_event_observer(services.robot_conversation_ended)
        # Idle conversations end; a customer message whose task was lost is answered.
        register_sweep("robot.services.robot_sweep", every=5.0)
        # The knowledge base as context for the AI assist's smart replies.
        register_reply_context(services.kb_reply_context)
