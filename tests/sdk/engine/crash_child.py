"""Child process of the crash test: ingests forever, printing each acknowledged batch."""

import sys

from personalize_sdk import Event
from personalize_sdk.backends.local import LocalBackend

backend = LocalBackend(sys.argv[1], auto_train=False)
batch = 0
while True:
    backend.put_events(
        [Event("View", f"s{batch}", f"i{k}", f"u{batch % 50}", sent_at=1_700_000_000 + batch, event_id=f"e{batch}-{k}")
         for k in range(50)]
    )
    print(batch, flush=True)  # only after put_events returned: this batch is acknowledged
    batch += 1
