"""k360scrape: a polite crawler and structured-data extractor for the Kommune 360° festival archives."""

from __future__ import annotations

__version__ = "0.1.0"
