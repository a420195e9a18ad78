from django.urls import include, path

from . import views

app_name = "cases"

urlpatterns = [
    path("", views.ledger, name="ledger"),
    path("new/", views.report, name="report"),
    path("new/nearby/", views.nearby, name="nearby"),
    path("mine/", views.mine, name="mine"),
    path("verify/", views.verify_list, name="verify"),
    path("todo/", views.todo, name="todo"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    # feature routes (one include per feature; they must stay above the <code> patterns)
    path("", include("wenming.cases.urls_notices")),
    path("", include("wenming.cases.urls_transfer")),
    path("", include("wenming.cases.urls_metrics")),
    path("", include("wenming.cases.urls_settings")),
    path("<str:code>/", views.detail, name="detail"),
    path("<str:code>/act/<str:action>/", views.act, name="act"),
]

# the API's endpoints are in cases/api.py, mounted by config/api.py
