from django.urls import path

from . import downloads

app_name = "agreement_files"

urlpatterns = [
    path("mi-cuenta/acuerdos/<int:pk>/pdf/", downloads.debtor_agreement_pdf, name="debtor_pdf"),
    path("staff/acuerdos/<int:pk>/pdf/", downloads.staff_agreement_pdf, name="staff_pdf"),
    path(
        "mi-cuenta/acuerdos/<int:pk>/pdf/v<int:version>/",
        downloads.debtor_agreement_version_pdf,
        name="debtor_pdf_version",
    ),
    path(
        "staff/acuerdos/<int:pk>/pdf/v<int:version>/",
        downloads.staff_agreement_version_pdf,
        name="staff_pdf_version",
    ),
]
