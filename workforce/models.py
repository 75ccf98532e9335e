"""Import every model module so that ``Base.metadata`` is complete (app, Alembic, tests)."""

from __future__ import annotations


def load_all() -> None:
    from workforce import audit, auth, ratelimit  # noqa: F401
    from workforce.contractors import models as contractors  # noqa: F401
    from workforce.notifications import models as notifications  # noqa: F401
    from workforce.pay import models as pay  # noqa: F401
    from workforce.portal import models as portal  # noqa: F401
    from workforce.queues import models as queues  # noqa: F401
    from workforce.reports import models as reports  # noqa: F401
    from workforce.scheduling import models as scheduling  # noqa: F401
    from workforce.wellbeing import exposure, policy  # noqa: F401
    from workforce.wellbeing import models as wellbeing  # noqa: F401
