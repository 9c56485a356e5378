from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "xueji.org"
    label = "org"
    verbose_name = "组织机构"

    def ready(self) -> None:
        from xueji.audit import rules

        from .roles import Role

        rules.ROLE_LABELS.update(dict(Role.choices))
