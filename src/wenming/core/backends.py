"""Password login for people only: an API token's service account (core/tokens.py) never logs in
to the pages, whatever password someone may have given it. Checked at login only, so a request
with a session costs no extra query."""

from django.contrib.auth.backends import ModelBackend


class PeopleBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            return None
        from .models import ApiToken

        return None if ApiToken.objects.filter(user_id=user.pk).exists() else user
