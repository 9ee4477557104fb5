from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo marketplace (``./manage.py load_demo``). It has no models of its own; it may
    use every app, and no app uses it."""

    name = "demo"
