"""Pluggable registries behind 查重认证 (F-41) and 学前调档 (F-45).

- The population registry (人口信息库) verifies resident ID numbers: does the number exist
  and does it belong to this name?
- The preschool registry (幼儿园学籍) finds the kindergarten record of a child.

Settings choose the implementation (dotted path):

    XUEJI_POPULATION_REGISTRY = "xueji.registration.adapters.SimulatedPopulationRegistry"
    XUEJI_PRESCHOOL_REGISTRY = "xueji.registration.adapters.SimulatedPreschoolRegistry"

The simulated ones answer from local tables that the demo command seeds consistently with
the demo data; the simulated population registry accepts every well-formed number except
a documented not-found list (``XUEJI_SIMULATED_NOT_FOUND_IDS``, docs/REGISTRATION.md). ``HttpPopulationRegistry`` / ``HttpPreschoolRegistry`` speak the JSON
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
    """The local stand-in (模拟人口信息库), for demonstrations and tests: a well-formed
    resident ID number (GB 11643 check digit) verifies, except

    - a number on the not-found list — the documented ``XUEJI_SIMULATED_NOT_FOUND_IDS``
      setting, or a row of :class:`~xueji.registration.models.SimulatedResident` marked
      ``not_found`` (what the demo and tests use) — answers 人口信息库中无此身份证件号;
    - a number the local table holds under another name answers 姓名与人口信息库不一致.

    docs/REGISTRATION.md lists the not-found numbers."""

    simulated = True

    def verify(self, people: list[Person]) -> dict[str, Verdict]:
        from .models import SimulatedResident

        listed = {n.strip().upper() for n in settings.XUEJI_SIMULATED_NOT_FOUND_IDS if n.strip()}
        known = {
            number: (name, not_found)
            for number, name, not_found in SimulatedResident.objects.filter(
                id_number__in=[p.id_number for p in people]).values_list("id_number", "name", "not_found")
        }
        result = {}
        for person in people:
            name, not_found = known.get(person.id_number, (None, False))
            if not_found or person.id_number in listed or not _well_formed(person.id_number):
                result[person.id_number] = Verdict(False, "人口信息库中无此身份证件号")
            elif name is not None and name != person.name:
                result[person.id_number] = Verdict(False, "姓名与人口信息库不一致")
            else:
                result[person.id_number] = Verdict(True)
        return result


def _well_formed(number: str) -> bool:
    """18 characters whose last is the GB 11643 check digit of the first 17."""
    from xueji.students.rules import id_check_digit

    return (len(number) == 18 and number[:17].isdigit() and number[:17].isascii()
            and id_check_digit(number[:17]) == number[17])


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


def population_registry_is_simulated() -> bool:
    """Is the configured 人口信息库 the local simulation? (The registration pages then say
    so: 人口信息库为模拟环境.)"""
    return bool(getattr(population_registry(), "simulated", False))


def preschool_registry() -> PreschoolRegistry:
    return _instance(settings.XUEJI_PRESCHOOL_REGISTRY)
