from django.urls import include, path, re_path

from wenming.cases.ledger import views as cases_views
from wenming.core.api import not_found_view
from wenming.surveys import views as survey_views

from .api import api

urlpatterns = [
    path("", include("wenming.core.urls")),
    path("org/", include("wenming.org.urls")),
    path("problems/", include("wenming.cases.urls")),
    path("standards/", include("wenming.standards.urls")),
    path("inspections/", include("wenming.inspections.urls")),
    path("points/", include("wenming.places.urls")),
    path("scoring/", include("wenming.scoring.urls")),
    path("bulletins/", include("wenming.bulletins.urls")),
    path("dashboard/", include("wenming.dashboard.urls")),
    path("plans/", include("wenming.plans.urls")),
    path("archives/", include("wenming.archives.urls")),
    path("surveys/", include("wenming.surveys.urls")),
    path("public/survey/<str:token>/", survey_views.self_fill, name="public_survey"),
    path("public/survey/<str:token>/submit/", survey_views.self_fill_submit, name="public_survey_submit"),
    path("public/closed/", cases_views.public_closed, name="public_closed"),
    path("public/track/", cases_views.track, name="public_track"),
    path("api-tokens/", include("wenming.core.urls_tokens")),
    path("api/", api.urls),
    re_path(r"^api/", not_found_view),  # JSON, not the 404 page, for an address no endpoint has
]

handler403 = "wenming.core.views.permission_denied"
handler404 = "wenming.core.views.page_not_found"
handler400 = "wenming.core.views.bad_request"
