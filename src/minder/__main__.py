"""``python -m minder``: the daemon, for hosts where only the module is on the path."""

import sys

from minder.daemon.main import main

sys.argv[0] = "python -m minder"  # what "For help, use ... -h" should tell the user
raise SystemExit(main())
