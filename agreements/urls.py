from django.urls import path

from . import views

app_name = "agreements"

urlpatterns = [
    path("ofertas/", views.offers, name="offers"),
    path("ofertas/<int:quote_id>/<slug:offer_key>/", views.offer_confirm, name="offer_confirm"),
    path("acuerdos/", views.agreement_list, name="agreement_list"),
    path("acuerdos/<int:pk>/", views.agreement_detail, name="agreement_detail"),
    path("acuerdos/<int:pk>/calendario.ics", views.agreement_ics, name="agreement_ics"),
    path("acuerdos/<int:pk>/cambiar/<slug:kind>/", views.schedule_change, name="schedule_change"),
    path("propuesta/", views.propose, name="propose"),
    path("propuesta/vista-previa/", views.propose_preview, name="propose_preview"),
    path("propuesta/capacidad/", views.propose_affordability, name="propose_affordability"),
    path("propuestas/<int:pk>/", views.proposal_detail, name="proposal_detail"),
    path("propuestas/<int:pk>/aceptar/", views.counter_accept, name="counter_accept"),
    path("propuestas/<int:pk>/declinar/", views.counter_decline, name="counter_decline"),
    path("promesa/", views.promise, name="promise"),
]
