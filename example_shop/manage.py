#!/usr/bin/env python
"""Django's command-line utility for the example shop."""

import os
import sys
from pathlib import Path


def main() -> None:
    # Run from anywhere: the shop's packages live beside this file.
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_shop.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
