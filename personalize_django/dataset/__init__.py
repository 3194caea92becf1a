"""The shop's datasets, as :mod:`personalize_sdk.dataset` wants them.

- :mod:`.records`: the shop's data as SDK records (events from the outbox,
  the backend's store and the registered models; items; users);
- :mod:`.formats`: the CSV columns of each dataset, and so the schemas
  ``personalize_provision`` creates;
- :mod:`.skipped`: the records left out, and the check's findings about them.

Importing this package imports the app's models: use it once Django is set up.
"""

from . import formats, records, skipped
from .formats import *  # noqa: F401,F403
from .records import *  # noqa: F401,F403
from .skipped import *  # noqa: F401,F403

__all__ = [*formats.__all__, *records.__all__, *skipped.__all__]
