"""Routes of the lists of problems, the ledger's export and the problem import; included by
``cases/urls.py`` (namespace ``cases``). 结单公示 is public and routed by ``config/urls.py``."""

from django.urls import path

from . import views, views_transfer

urlpatterns = [
    path("", views.ledger, name="ledger"),
    path("mine/", views.mine, name="mine"),
    path("reported/", views.reported, name="reported"),
    path("verify/", views.verify_list, name="verify"),
    path("todo/", views.todo, name="todo"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    path("export/", views_transfer.export, name="export"),
    path("import/", views_transfer.problem_import, name="import"),
    path("import/template.xlsx", views_transfer.import_template, name="import_template"),
]
