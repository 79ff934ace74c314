"""HTML to PDF, offline: referral packets and custody reports are rendered by WeasyPrint from a template."""

from __future__ import annotations


def html_pdf(html: str, *, inline_images: bool = False) -> bytes:
    """The HTML as PDF bytes. Nothing is fetched: the template carries its own styles and the fonts are the
    system's (DejaVu covers Cyrillic). With `inline_images`, images written into the page as data: URLs
    (a report's charts) are drawn; still nothing is fetched."""
    from weasyprint import HTML, URLFetcher  # noqa: PLC0415 - loads pango and fonts: only when a PDF is made

    # An empty set of allowed protocols refuses every URL, including file: and data:.
    allowed = {"data"} if inline_images else set()
    return HTML(string=html, base_url="about:blank", url_fetcher=URLFetcher(allowed_protocols=allowed)).write_pdf()
