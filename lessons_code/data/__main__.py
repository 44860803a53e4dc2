"""Command line of the datasets: ``python -m lessons_code.data COMMAND``.

Examples
--------
Generate a small development copy, check the shipped files, describe a sample::

    $ python -m lessons_code.data generate boosted_jets --events 300 --seed 5 \\
          --workers 2 --out data/dev
    boosted_jets: 300 entries, 4121 events generated in 21.4 s (192.6 events/s)
    $ python -m lessons_code.data verify
    boosted_jets     ok
    $ python -m lessons_code.data info boosted_jets
"""

from lessons_code.data.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
