"""Fixtures the browser tests share with the build-side tests of the same name."""

from tests.site.test_faults import hostile  # noqa: F401
from tests.site.test_packages import dateutil_site, distribution  # noqa: F401
from tests.site.test_prose import prose_site  # noqa: F401
