"""Starts nx-27017 (a MongoDB wire-protocol server over SQLite) for the MongoDB tests.

    python tests/mongo/nx27017.py [--watch-parent] --host 127.0.0.1 -p PORT \
        --data-dir memory --pid-file FILE --log-file FILE

The arguments are nx-27017's own, plus `--watch-parent`: exit when the process that started
this one exits (a test binary leaves no server behind).

The store is written for real MongoDB; this server is what the tests run on. One switch is
made here: neosqlite's pure-Python query path is forced, because its SQL fast path turns
booleans into integers and dates into strings under `$set`.
"""

import os
import sys
import threading
import time

from neosqlite.collection.query_helper.utils import set_force_fallback

set_force_fallback(True)

from nx_27017.nx_27017 import main  # noqa: E402

if "--watch-parent" in sys.argv:
    sys.argv.remove("--watch-parent")
    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()

sys.exit(main())
