#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contactcenter.settings")
    # Any command but the server itself has no sockets: in the embedded default its events
    # reach the running server through the database (settings.CC_REALTIME_RELAY).
    if sys.argv[1:2] != ["runserver"]:
        os.environ.setdefault("CC_REALTIME_RELAY", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
