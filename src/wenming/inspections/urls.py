from django.urls import path

from . import views

app_name = "inspections"

urlpatterns = [
    path("", views.round_list, name="list"),
    path("new/", views.round_create, name="new"),
    path("mine/", views.mine, name="mine"),
    path("settings/", views.settings_page, name="settings"),
    path("<int:pk>/", views.round_detail, name="round"),
    path("<int:pk>/<str:action>/", views.round_action, name="action"),
    path("do/<int:pk>/", views.inspect, name="inspect"),
    path("result/<int:pk>/", views.result, name="result"),
]
