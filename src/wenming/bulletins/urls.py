from django.urls import path

from . import views, views_templates

app_name = "bulletins"

urlpatterns = [
    path("", views.bulletin_list, name="list"),
    path("new/", views.bulletin_new, name="new"),
    path("templates/", views_templates.template_page, name="templates"),
    path("templates/default/", views_templates.template_default, name="template_default"),
    path("templates/reset/", views_templates.template_reset, name="template_reset"),
    path("templates/<int:pk>/file/", views_templates.template_file, name="template_file"),
    path("templates/<int:pk>/activate/", views_templates.template_activate, name="template_activate"),
    path("<int:pk>/", views.bulletin_detail, name="detail"),
    path("<int:pk>/file/<str:fmt>/", views.bulletin_file, name="file"),
    path("<int:pk>/<str:action>/", views.bulletin_action, name="action"),
]
