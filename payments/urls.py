from django.urls import path

from . import views, views_autopay, views_mercadopago, views_third_party

app_name = "payments"

urlpatterns = [
    path("pagar/", views.pay, name="pay"),
    path("pagos/<int:pk>/", views.checkout, name="checkout"),
    path("pagos/<int:pk>/tarjeta/", views.confirm_card, name="confirm_card"),
    path("pagos/<int:pk>/resultado/", views.result, name="result"),
    path("pagos/<int:pk>/pse/", views_mercadopago.pse, name="pse"),
    path("pagos/<int:pk>/efectivo/", views_mercadopago.cash, name="cash"),
    path(
        "pagos/<int:pk>/efectivo/comprobante.pdf",
        views_mercadopago.voucher_pdf,
        name="voucher_pdf",
    ),
    path("pagos/<int:pk>/tarjeta-mp/", views_mercadopago.card, name="mercadopago_card"),
    path("pagar-por-otro/", views_third_party.third_party_links, name="third_party_links"),
    path("pagar-por-otro/nuevo/", views_third_party.third_party_create, name="third_party_create"),
    path("pagar-por-otro/<int:pk>/", views_third_party.third_party_link, name="third_party_link"),
    path(
        "pagar-por-otro/<int:pk>/revocar/",
        views_third_party.third_party_revoke,
        name="third_party_revoke",
    ),
    path("recibos/<int:pk>/pdf/", views.receipt_pdf, name="receipt_pdf"),
    path("acuerdos/<int:agreement_pk>/autopago/", views_autopay.autopay, name="autopay"),
    path(
        "acuerdos/<int:agreement_pk>/autopago/recuadro/",
        views_autopay.autopay_box,
        name="autopay_box",
    ),
    path("autopago/<int:pk>/tarjeta/", views_autopay.autopay_card, name="autopay_card"),
    path("autopago/<int:pk>/listo/", views_autopay.autopay_done, name="autopay_done"),
    path("autopago/<int:pk>/desactivar/", views_autopay.autopay_disable, name="autopay_disable"),
]
