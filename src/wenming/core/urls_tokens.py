from django.urls import path

from . import views_tokens

urlpatterns = [
    path("", views_tokens.token_list, name="api_tokens"),
    path("<int:pk>/revoke/", views_tokens.token_revoke, name="api_token_revoke"),
]
