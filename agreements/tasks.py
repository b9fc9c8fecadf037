from celery import shared_task


@shared_task(bind=True, max_retries=3, default_retry_delay=30)
def render_agreement_pdf(self, agreement_id: int) -> str:
    from .documents import agreement_pdf_render

    return agreement_pdf_render(agreement_id=agreement_id)
