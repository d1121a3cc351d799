"""Import every area's tables so that ``Base.metadata`` is complete (alembic, tests)."""

from cms.audit import models as audit_models  # noqa: F401
from cms.auth import models as auth_models  # noqa: F401
from cms.content import models as content_models  # noqa: F401
from cms.events import models as event_models  # noqa: F401
from cms.jobs import models as job_models  # noqa: F401
from cms.media import models as media_models  # noqa: F401
from cms.webhooks import models as webhook_models  # noqa: F401
from cms.core.db import Base

metadata = Base.metadata
