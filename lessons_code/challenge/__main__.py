"""``python -m lessons_code.challenge``: see :mod:`lessons_code.challenge.cli`."""

import sys

from lessons_code.challenge.cli import main

if __name__ == "__main__":
    sys.exit(main())
