"""Agreement PDFs (WeasyPrint). Filled in by the PDF work; the task above calls it."""

from __future__ import annotations


def agreement_pdf_render(*, agreement_id: int) -> str:
    raise NotImplementedError("agreement PDF rendering is being built")
