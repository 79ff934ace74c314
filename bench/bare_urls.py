"""Ferry's URL map plus /bench/bare: a view that does nothing, behind all of Ferry's middleware."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.urls import path

from ferry.urls import urlpatterns as ferry_urlpatterns


@login_not_required
def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [*ferry_urlpatterns, path("bench/bare", bare)]
