from django.urls import path

from . import views

app_name = "org"

urlpatterns = [
    path("", views.tree, name="tree"),
    path("units/search/", views.unit_search, name="unit_search"),
    path("people/search/", views.person_search, name="person_search"),
    path("units/<int:pk>/", views.unit_detail, name="unit"),
    path("units/<int:pk>/children/", views.unit_children, name="unit_children"),
    path("units/<int:pk>/new/", views.unit_create, name="unit_create"),
    path("units/<int:pk>/edit/", views.unit_edit, name="unit_edit"),
    path("units/<int:pk>/patrons/new/", views.patronage_create, name="patronage_create"),
    path("patronages/<int:pk>/end/", views.patronage_end, name="patronage_end"),
    path("import/", views.unit_import, name="import"),
    path("export/", views.unit_export, name="export"),
    path("import/template.xlsx", views.unit_template, name="import_template"),
    path("boundaries/import/", views.boundary_import, name="boundary_import"),
    path("boundaries/export.geojson", views.boundary_export, name="boundary_export"),
    path("teams/", views.teams, name="teams"),
    path("teams/new/", views.team_create, name="team_create"),
    path("teams/<int:pk>/", views.team_detail, name="team"),
    path("teams/<int:pk>/members/", views.team_member_add, name="team_member_add"),
    path("teams/<int:pk>/members/<int:member_pk>/remove/", views.team_member_remove, name="team_member_remove"),
    path("teams/<int:pk>/units/", views.team_unit_add, name="team_unit_add"),
    path("accounts/", views.accounts, name="accounts"),
    path("accounts/new/", views.account_create, name="account_create"),
    path("accounts/<int:pk>/", views.account_detail, name="account"),
    path("accounts/<int:pk>/toggle/", views.account_toggle, name="account_toggle"),
    path("accounts/<int:pk>/reset-password/", views.account_reset, name="account_reset"),
    path("accounts/<int:pk>/roles/", views.account_grant, name="account_grant"),
    path("accounts/<int:pk>/roles/<int:membership_pk>/revoke/", views.account_revoke, name="account_revoke"),
]
