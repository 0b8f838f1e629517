"""`python -m k360scrape` runs the command-line interface."""

from __future__ import annotations

from k360scrape.cli import main

if __name__ == "__main__":
    main()
