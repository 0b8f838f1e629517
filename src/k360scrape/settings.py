"""Every crawl knob in one frozen model, each with a polite default.

The README's "Settings" table documents each field; `tests/test_docs.py` keeps the two in sync.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from k360scrape import __version__

PROJECT_URL = "https://github.com/k360scrape/k360scrape"
DEFAULT_USER_AGENT = f"k360scrape/{__version__} (+{PROJECT_URL})"
DEFAULT_START_URLS = (
    "https://www.kommune360.de/programm/tag/mittwoch/",
    "https://www.kommune360.de/programm/tag/donnerstag/",
    "https://www.kommune360.de/programm/tag/freitag/",
)


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # --- identity
    user_agent: str = Field(default=DEFAULT_USER_AGENT, min_length=1)
    robots_token: str = Field(
        default="k360scrape", description="Product token matched against robots.txt groups"
    )
    # --- politeness
    delay: float = Field(default=1.0, ge=0.0, le=3600.0, description="Seconds between starts")
    concurrency: int = Field(default=1, ge=1, le=64, description="Requests in flight per host")
    obey_robots: bool = True
    robots_retry_after: float = Field(
        default=300.0, ge=0.0, description="Seconds before an unreachable robots.txt is re-asked"
    )
    max_retry_after: float = Field(default=120.0, ge=0.0, description="Cap on Retry-After")
    # --- retries
    retries: int = Field(default=3, ge=0, le=20, description="Extra attempts after the first")
    backoff_base: float = Field(default=1.0, ge=0.0, description="First backoff, seconds")
    backoff_max: float = Field(default=60.0, ge=0.0, description="Longest single backoff")
    # --- limits
    connect_timeout: float = Field(default=10.0, gt=0.0)
    read_timeout: float = Field(default=30.0, gt=0.0)
    total_timeout: float = Field(default=120.0, gt=0.0, description="Deadline for one response")
    max_bytes: int = Field(default=20_000_000, gt=0, description="Cap on an HTML body")
    max_pdf_bytes: int = Field(default=200_000_000, gt=0, description="Cap on one PDF")
    max_redirects: int = Field(default=5, ge=0, le=30)
    max_pages: int | None = Field(default=None, ge=1, description="Stop after this many pages")
    # --- behaviour
    strict: bool = False
    download_pdfs: bool = False
    pdf_text: bool = False
    allowed_hosts: tuple[str, ...] = Field(
        default=(), description="Extra hosts in scope besides the start URLs' hosts"
    )

    @field_validator("user_agent")
    @classmethod
    def _no_newlines(cls, value: str) -> str:
        if "\n" in value or "\r" in value:
            raise ValueError("must be one line")
        return value
