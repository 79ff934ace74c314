"""A URL map for the release door's self-test: two views in the advocacy namespace that answer a CSV, one
marked as the door and one not."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from ferry.advocacy.door import release_door


@login_not_required
def rogue(request: HttpRequest) -> HttpResponse:
    return HttpResponse("month,count\n2017-03,3\n", content_type="text/csv")


@login_not_required
@release_door
def door(request: HttpRequest) -> HttpResponse:
    return HttpResponse("month,count\n2017-03,15\n", content_type="text/csv")


urlpatterns = [
    path("advocacy/", include(([path("rogue/", rogue), path("door/", door)], "advocacy"))),
    path("elsewhere/", rogue),
]
