from django.urls import path

from . import dispute_views, views

app_name = "selfservice"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("historial/", views.history, name="history"),
    path("comunicaciones/", views.communications, name="communications"),
    path("preferencias/", views.preferences, name="preferences"),
    path("reclamos/", dispute_views.dispute_list, name="disputes"),
    path("reclamos/nuevo/<int:debt_id>/", dispute_views.dispute_new, name="dispute_new"),
    path("reclamos/<int:pk>/", dispute_views.dispute_detail, name="dispute_detail"),
    path(
        "reclamos/<int:pk>/documentos/<int:document_id>/",
        dispute_views.dispute_document,
        name="dispute_document",
    ),
]
