from django.urls import path

from . import views

app_name = "outreach"

urlpatterns = [
    path("twilio/status/", views.twilio_status, name="twilio_status"),
    path("twilio/inbound/", views.twilio_inbound, name="twilio_inbound"),
    path("baja/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
