from django.urls import include, path

urlpatterns = [
    path("", include("wenming.core.urls")),
    path("org/", include("wenming.org.urls")),
]

handler403 = "wenming.core.views.permission_denied"
handler404 = "wenming.core.views.page_not_found"
