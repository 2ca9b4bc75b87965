"""The `eapcase` command: `check` runs the pure policy engine without Django; every other
sub-command is a Django management command (demo, import, export, migrate, runserver...)."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "check":
        # Kept free of Django so that other programs can run it cheaply and anywhere.
        from eapcase.policy.check import main as check_main

        return check_main(args[1:])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eapcase.config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["eapcase", *args])
    return 0


if __name__ == "__main__":
    sys.exit(main())
