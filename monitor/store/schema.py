"""Every table of the store, in one metadata (what Alembic compares the migrations with)."""

import alerts.models  # noqa: F401  (registers the alerting tables)
from monitor.store.models import Base

metadata = Base.metadata
