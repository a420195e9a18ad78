from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("me/", views.me, name="me"),
    path("me/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("audit/", views.audit_log, name="audit_log"),
]

from . import views_photos  # noqa: E402

urlpatterns += [
    path("photos/<int:pk>/", views_photos.photo, {"variant": "full"}, name="photo"),
    path("photos/<int:pk>/thumb/", views_photos.photo, {"variant": "thumb"}, name="photo_thumb"),
]

from . import views_jobs  # noqa: E402

urlpatterns += [
    path("me/exports/", views_jobs.job_list, name="jobs"),
    path("jobs/<int:pk>/", views_jobs.job, name="job"),
    path("jobs/<int:pk>/status/", views_jobs.job_status, name="job_status"),
    path("jobs/<int:pk>/download/", views_jobs.job_download, name="job_download"),
]

from . import views_outbound  # noqa: E402

urlpatterns += [
    path("outbound/", views_outbound.outbound_failures, name="outbound"),
]
