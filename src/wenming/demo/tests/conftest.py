import pytest


@pytest.fixture(autouse=True)
def _demo_media(settings, tmp_path):
    """The demo's problems carry photos: keep their files out of the data directory."""
    settings.MEDIA_ROOT = tmp_path / "media"
