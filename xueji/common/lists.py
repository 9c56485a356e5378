"""The reusable list pattern: query conditions, sort and paging for every list page.

A view builds its scoped queryset through a selector, applies the user's conditions with
a form, then calls :func:`paginate_sorted`. Sorting is limited to the fields the view
names, so a crafted ``sort`` parameter can't order by anything else.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

DEFAULT_PAGE_SIZE = 20
PAGE_SIZES = (20, 50, 100)


@dataclass
class ListResult:
    page: Page
    sort: str
    page_size: int

    @property
    def objects(self):
        return self.page.object_list


def paginate_sorted(
    request, queryset: QuerySet, sortable: dict[str, str], default_sort: str
) -> ListResult:
    """Sort by ``?sort=field`` / ``?sort=-field`` (a key of ``sortable``, mapping to the
    ORM ordering) and return the requested page (``?page=``, ``?size=``)."""
    sort = request.GET.get("sort") or default_sort
    key = sort.removeprefix("-")
    if key not in sortable:
        sort, key = default_sort, default_sort.removeprefix("-")
    order = sortable[key]
    ordering = [("-" + order) if sort.startswith("-") else order, "pk"]
    try:
        size = int(request.GET.get("size", DEFAULT_PAGE_SIZE))
    except ValueError:
        size = DEFAULT_PAGE_SIZE
    if size not in PAGE_SIZES:
        size = DEFAULT_PAGE_SIZE
    paginator = Paginator(queryset.order_by(*ordering), size)
    page = paginator.get_page(request.GET.get("page"))
    return ListResult(page=page, sort=sort, page_size=size)
