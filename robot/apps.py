"""The robot (SPEC section 11): a knowledge base of articles and a robot that answers a
channel's visitors first, from the knowledge base (full-text; written by the AI provider when one
is configured), and hands over to a person. Above ai."""

from django.apps import AppConfig


class RobotConfig(AppConfig):
    name = "robot"
