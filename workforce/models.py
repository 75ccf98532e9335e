"""Import every model module so that ``Base.metadata`` is complete (app, Alembic, tests)."""

from __future__ import annotations


def load_all() -> None:
    from workforce import audit, ratelimit  # noqa: F401
    from workforce.contractors import models as contractors  # noqa: F401
    from workforce.exposure import models as exposure  # noqa: F401
    from workforce.identity import models as identity  # noqa: F401
    from workforce.jobs import models as jobs  # noqa: F401
    from workforce.notifications import models as notifications  # noqa: F401
    from workforce.pay import models as pay  # noqa: F401
    from workforce.queues import models as queues  # noqa: F401
    from workforce.reports import models as reports  # noqa: F401
    from workforce.rotations import models as rotations  # noqa: F401
    from workforce.scheduling import models as scheduling  # noqa: F401
    from workforce.shifts import models as shifts  # noqa: F401
    from workforce.wellbeing import models as wellbeing  # noqa: F401
