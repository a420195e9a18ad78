from django.urls import path

from . import views

app_name = "surveys"

urlpatterns = [
    path("", views.home, name="home"),
    path("questionnaires/", views.questionnaires, name="questionnaires"),
    path("questionnaires/builtin/", views.builtin, name="builtin"),
    path("questionnaires/import/", views.questionnaire_import, name="questionnaire_import"),
    path("questionnaires/<int:pk>/", views.questionnaire_detail, name="questionnaire"),
    path("questionnaires/<int:pk>/publish/", views.questionnaire_publish, name="questionnaire_publish"),
    path("questionnaires/<int:pk>/delete/", views.questionnaire_delete, name="questionnaire_delete"),
    path("questionnaires/<int:pk>/export/<str:fmt>/", views.questionnaire_export, name="questionnaire_export"),
    path("campaigns/new/", views.campaign_new, name="campaign_new"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign"),
    path("campaigns/<int:pk>/results/", views.results, name="results"),
    path("campaigns/<int:pk>/results/export/", views.results_export, name="results_export"),
    path("campaigns/<int:pk>/review/", views.review_list, name="review"),
    path("campaigns/<int:pk>/qr/<int:unit_pk>/", views.qr_code, name="qr"),
    path("campaigns/<int:pk>/<str:action>/", views.campaign_action, name="campaign_action"),
    path("responses/<int:pk>/review/", views.response_review, name="response_review"),
    path("collect/", views.collect_list, name="collect_list"),
    path("collect/<int:pk>/", views.collect, name="collect"),
    path("collect/<int:pk>/submit/", views.collect_submit, name="collect_submit"),
]
