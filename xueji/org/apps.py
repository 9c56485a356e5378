from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "xueji.org"
    label = "org"
    verbose_name = "组织机构"

    def ready(self) -> None:
        from xueji.audit import rules

        from .roles import Role

        rules.ROLE_LABELS.update(dict(Role.choices))
        rules.register_field_labels({"start": "开始日期", "end": "结束日期"}, object_type="org.term")
        rules.register_field_labels({"divisions": "行政区划数量"})
        if _division_name not in rules.CHAIN_NAMERS:
            rules.CHAIN_NAMERS.append(_division_name)
        # Ids of units in audit entries' before/after (业务的当前审核单位 …) by their names.
        for key in ("school_id", "current_school", "current_school_id"):
            rules.register_value_labels(key, _school_name)
        for key in ("authority_id", "current_authority", "current_authority_id"):
            rules.register_value_labels(key, _authority_name)


def _school_name(pk) -> str | None:
    from .models import School

    if not str(pk).isdigit():
        return None
    return School.objects.filter(pk=int(pk)).values_list("name", flat=True).first()


def _authority_name(pk) -> str | None:
    from .models import Authority

    if not str(pk).isdigit():
        return None
    return Authority.objects.filter(pk=int(pk)).values_list("name", flat=True).first()


def _division_name(chain: str) -> str | None:
    """The name of the region an audit chain belongs to (``4401`` → 广州市)."""
    from .models import Division

    return Division.objects.filter(code=chain.ljust(12, "0")).values_list("name", flat=True).first()
