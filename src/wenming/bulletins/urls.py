from django.urls import path

from . import views

app_name = "bulletins"

urlpatterns = [
    path("", views.bulletin_list, name="list"),
    path("new/", views.bulletin_new, name="new"),
    path("<int:pk>/", views.bulletin_detail, name="detail"),
    path("<int:pk>/file/<str:fmt>/", views.bulletin_file, name="file"),
    path("<int:pk>/<str:action>/", views.bulletin_action, name="action"),
]
