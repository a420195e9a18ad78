"""Settings for the benchmark server: the project's settings, with a URLconf that adds the
baseline view (``bench/ping/``). Selected with DJANGO_SETTINGS_MODULE=wenming.bench.settings."""

from wenming.config.settings import *  # noqa: F403

ROOT_URLCONF = "wenming.bench.urls"
