from django.urls import path

from . import views

app_name = "access"

urlpatterns = [
    path("", views.home, name="home"),
    path("p/verificar/", views.verify, name="verify"),
    path("p/<str:token>", views.open_link, name="open_link"),
    path("salir/", views.sign_out, name="sign_out"),
    path("verifica-este-mensaje/", views.verify_message, name="verify_message"),
    path("accesibilidad/", views.accessibility, name="accessibility"),
    path("idioma/", views.choose_language, name="choose_language"),
    path("sesion-cerrada/", views.signed_out, name="signed_out"),
    path("sesion-expirada/", views.session_ended, name="session_ended"),
]
