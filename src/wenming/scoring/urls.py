from django.urls import path

from . import views

app_name = "scoring"

urlpatterns = [
    path("", views.scheme_list, name="list"),
    path("schemes/new/", views.scheme_new, name="scheme_new"),
    path("schemes/<int:pk>/", views.scheme_detail, name="scheme"),
    path("schemes/<int:pk>/<str:action>/", views.scheme_action, name="scheme_action"),
    path("periods/<int:pk>/", views.period_detail, name="period"),
    path("periods/<int:pk>/units/<int:unit_pk>/", views.score_detail, name="score"),
    path("periods/<int:pk>/export/", views.period_export, name="period_export"),
    path("periods/<int:pk>/<str:action>/", views.period_action, name="period_action"),
    path("steps/<int:pk>/", views.step_decide, name="step"),
    path("adjustments/", views.adjustment_list, name="adjustments"),
    path("adjustments/<int:pk>/withdraw/", views.adjustment_withdraw, name="adjustment_withdraw"),
    path("ledger/", views.ledger_list, name="ledger"),
]
