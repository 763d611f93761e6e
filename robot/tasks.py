from __future__ import annotations

from celery import shared_task

# The module, not the function: robot.services imports this module inside a function.
from robot import services


@shared_task(name="robot.tasks.robot_reply", ignore_result=True)
def robot_reply(message_id: int) -> str:
    """Answer one customer message of a conversation the robot holds (or hand over). Safe to
    run twice (one turn per message) and tolerates a message that has gone; a lost task is
    picked up by the robot's sweep."""
    return services.robot_reply(message_id=message_id)


@shared_task(name="robot.tasks.robot_sweep", ignore_result=True)
def robot_sweep() -> dict[str, int]:
    """Beat: end idle conversations with the robot; answer messages whose task was lost."""
    return services.robot_sweep()
