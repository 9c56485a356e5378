"""Pluggable registries behind 查重认证 (F-41) and 学前调档 (F-45).

- The population registry (人口信息库) verifies resident ID numbers: does the number exist
  and does it belong to this name?
- The preschool registry (幼儿园学籍) finds the kindergarten record of a child.

Settings choose the implementation (dotted path):

    XUEJI_POPULATION_REGISTRY = "xueji.registration.adapters.SimulatedPopulationRegistry"
    XUEJI_PRESCHOOL_REGISTRY = "xueji.registration.adapters.SimulatedPreschoolRegistry"

The simulated ones answer from local tables that the demo command seeds consistently with
the demo data. ``HttpPopulationRegistry`` / ``HttpPreschoolRegistry`` speak the JSON
protocol documented in docs/REGISTRATION.md to a real service. Both calls are batched:
one request (or one query) per batch of people, never one per row.
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.request
from dataclasses import asdict, dataclass, field
from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Person:
    id_number: str
    name: str


@dataclass(frozen=True)
class Verdict:
    """The registry's answer for one person."""

    verified: bool
    reason: str = ""


@dataclass(frozen=True)
class Child:
    """A child to look up in the preschool registry (学前调档名单的一行)."""

    name: str
    gender: str
    birth_date: dt.date
    id_type: str
    id_number: str = ""


@dataclass
class PreschoolRecord:
    """A kindergarten record found for a child."""

    ref: str
    name: str
    gender: str
    birth_date: dt.date
    id_type: str
    id_number: str
    kindergarten: str
    data: dict = field(default_factory=dict)


class PopulationRegistry:
    """Interface: verify many resident IDs at once."""

    def verify(self, people: list[Person]) -> dict[str, Verdict]:
        raise NotImplementedError


class PreschoolRegistry:
    """Interface: find the kindergarten records of many children at once (index → list)."""

    def find(self, children: list[Child]) -> list[list[PreschoolRecord]]:
        raise NotImplementedError


class SimulatedPopulationRegistry(PopulationRegistry):
    """The local stand-in: an ID number verifies when the table of simulated residents
    holds it with the same name. Numbers it does not hold fail (认证不通过)."""

    def verify(self, people: list[Person]) -> dict[str, Verdict]:
        from .models import SimulatedResident

        known = dict(
            SimulatedResident.objects.filter(id_number__in=[p.id_number for p in people]).values_list(
                "id_number", "name"
            )
        )
        result = {}
        for person in people:
            name = known.get(person.id_number)
            if name is None:
                result[person.id_number] = Verdict(False, "人口信息库中无此身份证件号")
            elif name != person.name:
                result[person.id_number] = Verdict(False, "姓名与人口信息库不一致")
            else:
                result[person.id_number] = Verdict(True)
        return result


class SimulatedPreschoolRegistry(PreschoolRegistry):
    """Matches children against the local table of simulated kindergarten records: by ID
    number for a resident ID, else by name + gender + birth date."""

    def find(self, children: list[Child]) -> list[list[PreschoolRecord]]:
        from .models import SimulatedPreschoolRecord

        by_id: dict[str, list] = {}
        ids = [c.id_number for c in children if c.id_type == "1" and c.id_number]
        for record in SimulatedPreschoolRecord.objects.filter(id_number__in=ids):
            by_id.setdefault(record.id_number, []).append(record)
        others = [c for c in children if not (c.id_type == "1" and c.id_number)]
        by_person: dict[tuple, list] = {}
        if others:
            for record in SimulatedPreschoolRecord.objects.filter(name__in={c.name for c in others}):
                by_person.setdefault((record.name, record.gender, record.birth_date), []).append(record)
        result = []
        for child in children:
            if child.id_type == "1" and child.id_number:
                found = by_id.get(child.id_number, [])
            else:
                found = by_person.get((child.name, child.gender, child.birth_date), [])
            result.append([_as_record(r) for r in found])
        return result


def _as_record(row) -> PreschoolRecord:
    """A row of the simulated kindergarten table as the registry's answer."""
    return PreschoolRecord(row.ref, row.name, row.gender, row.birth_date, row.id_type, row.id_number,
                           row.kindergarten, dict(row.data))


class HttpPopulationRegistry(PopulationRegistry):
    """A real 人口信息库 service: POST {"people": [{"id_number", "name"}]} to
    ``XUEJI_POPULATION_REGISTRY_URL``; answer {"results": [{"id_number", "verified", "reason"}]}."""

    def verify(self, people: list[Person]) -> dict[str, Verdict]:
        body = _post_json(settings.XUEJI_POPULATION_REGISTRY_URL, {"people": [asdict(p) for p in people]})
        return {r["id_number"]: Verdict(bool(r["verified"]), r.get("reason", "")) for r in body["results"]}


class HttpPreschoolRegistry(PreschoolRegistry):
    """A real 幼儿园学籍 service: POST {"children": [...]} (dates as YYYYMMDD) to
    ``XUEJI_PRESCHOOL_REGISTRY_URL``; answer {"results": [[record, …], …]} in order."""

    def find(self, children: list[Child]) -> list[list[PreschoolRecord]]:
        payload = [{**asdict(c), "birth_date": c.birth_date.strftime("%Y%m%d")} for c in children]
        body = _post_json(settings.XUEJI_PRESCHOOL_REGISTRY_URL, {"children": payload})
        return [
            [PreschoolRecord(**{**r, "birth_date": dt.datetime.strptime(r["birth_date"], "%Y%m%d").date()})
             for r in matches]
            for matches in body["results"]
        ]


def _post_json(url: str, payload: dict) -> dict:
    request = urllib.request.Request(
        url, data=json.dumps(payload, ensure_ascii=False).encode(), method="POST",
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    with urllib.request.urlopen(request, timeout=settings.XUEJI_REGISTRY_TIMEOUT) as response:  # noqa: S310
        return json.loads(response.read().decode())


@cache
def _instance(path: str):
    return import_string(path)()


def population_registry() -> PopulationRegistry:
    return _instance(settings.XUEJI_POPULATION_REGISTRY)


def preschool_registry() -> PreschoolRegistry:
    return _instance(settings.XUEJI_PRESCHOOL_REGISTRY)
