from django.urls import path

from . import views

app_name = "selfservice"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("historial/", views.history, name="history"),
    path("comunicaciones/", views.communications, name="communications"),
    path("preferencias/", views.preferences, name="preferences"),
]
