"""``python -m minder.ctl``: the client, for hosts where only the module is on the path."""

import sys

from minder.ctl.main import run

sys.argv[0] = "python -m minder.ctl"
run()
