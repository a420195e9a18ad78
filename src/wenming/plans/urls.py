from django.urls import path

from . import views, views_meetings

app_name = "plans"

urlpatterns = [
    path("", views.plan_list, name="list"),
    path("new/", views.plan_new, name="new"),
    path("mine/", views.mine, name="mine"),
    path("import-template/", views.import_template, name="import_template"),
    path("<int:pk>/", views.plan_detail, name="detail"),
    path("<int:pk>/edit/", views.plan_edit, name="edit"),
    path("<int:pk>/stages/", views.stage_add, name="stage_add"),
    path("<int:pk>/tasks/new/", views.task_new, name="task_new"),
    path("<int:pk>/import/", views.tasks_import, name="import"),
    path("<int:pk>/export/", views.tasks_export, name="export"),
    path("<int:pk>/issue/", views.plan_issue, name="issue"),
    path("<int:pk>/matrix/", views.plan_matrix, name="matrix"),
    path("<int:pk>/matrix/export/", views.matrix_export, name="matrix_export"),
    path("<int:pk>/timeline/", views.plan_timeline, name="timeline"),
    path("stages/<int:pk>/delete/", views.stage_delete, name="stage_delete"),
    path("tasks/<int:pk>/", views.task_detail, name="task"),
    path("tasks/<int:pk>/delete/", views.task_delete, name="task_delete"),
    path("assignments/<int:pk>/sign/", views.assignment_sign, name="sign"),
    path("tasks/<int:pk>/report/", views.report_submit, name="report"),
    path("reports/<int:pk>/<str:action>/", views.report_review, name="review"),
    path("report-files/<int:pk>/", views.report_file, name="report_file"),
    path("meetings/", views_meetings.meeting_list, name="meetings"),
    path("meetings/new/", views_meetings.meeting_new, name="meeting_new"),
    path("meetings/export/", views_meetings.meeting_export, name="meetings_export"),
    path("meetings/<int:pk>/", views_meetings.meeting_detail, name="meeting"),
    path("meetings/<int:pk>/edit/", views_meetings.meeting_edit, name="meeting_edit"),
    path("meetings/<int:pk>/decisions/", views_meetings.decision_add, name="decision_add"),
    path("meeting-files/<int:pk>/", views_meetings.meeting_file, name="meeting_file"),
    path("plan-files/<int:pk>/", views.plan_file, name="plan_file"),
]
