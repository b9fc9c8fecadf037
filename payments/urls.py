from django.urls import path

from . import views

app_name = "payments"

urlpatterns = [
    path("pagar/", views.pay, name="pay"),
    path("pagos/<int:pk>/", views.checkout, name="checkout"),
    path("pagos/<int:pk>/tarjeta/", views.confirm_card, name="confirm_card"),
    path("pagos/<int:pk>/resultado/", views.result, name="result"),
    path("recibos/<int:pk>/pdf/", views.receipt_pdf, name="receipt_pdf"),
]
