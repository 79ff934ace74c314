"""Ferry's settings plus one extra URL (a bare view), so the HTTP benchmark has a Django baseline to compare with."""

from ferry.settings import *  # noqa: F403 - these are Ferry's settings, unchanged but for the URL map

ROOT_URLCONF = "bench.bare_urls"
