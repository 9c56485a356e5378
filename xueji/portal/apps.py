from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The top floor: menu, home page, to-do counts, error pages and the demo. May import
    every other app; no other app imports it."""

    name = "xueji.portal"
    label = "portal"
    verbose_name = "门户"
