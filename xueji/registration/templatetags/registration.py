"""Template tags of 学籍注册."""

from __future__ import annotations

from django import template

from xueji.registration import adapters

register = template.Library()


@register.inclusion_tag("registration/_simulated_registry.html")
def simulated_registry_notice() -> dict:
    """人口信息库为模拟环境: shown on the registration pages while the simulated population
    registry is configured (XUEJI_POPULATION_REGISTRY), so nobody takes its 认证 for real."""
    return {"simulated": adapters.population_registry_is_simulated()}
