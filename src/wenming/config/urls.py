from django.urls import include, path

from wenming.cases import urls as cases_urls
from wenming.cases import views as cases_views

urlpatterns = [
    path("", include("wenming.core.urls")),
    path("org/", include("wenming.org.urls")),
    path("problems/", include("wenming.cases.urls")),
    path("standards/", include("wenming.standards.urls")),
    path("inspections/", include("wenming.inspections.urls")),
    path("points/", include("wenming.places.urls")),
    path("public/closed/", cases_views.public_closed, name="public_closed"),
    path("api/", include((cases_urls.api_urlpatterns, "api"))),
]

handler403 = "wenming.core.views.permission_denied"
handler404 = "wenming.core.views.page_not_found"
handler400 = "wenming.core.views.bad_request"
