"""PID-1 / subreaper mode: orphans re-parented to minder are reaped, managed ones are not stolen.

Becoming a subreaper changes the whole process, so the scenario runs in a
child interpreter of its own and reports back on stdout.
"""

from __future__ import annotations

import textwrap

from tests.integration.engine_helpers import run_scenario

SCENARIO = textwrap.dedent("""
    import asyncio, ctypes, json, sys
    from minder.engine.supervisor import Supervisor
    from minder.model.specs import AutoRestart
    from minder.protocol.states import ProcessState as S
    from minder.engine.reaper import zombie_children
    from tests.integration.engine_helpers import RecordingLog, proc, program, root_of, until
    import os

    PR_SET_CHILD_SUBREAPER = 36
    assert ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    py = sys.executable
    orphaner = proc(
        "orphaner",
        py + " -c 'import subprocess, sys; subprocess.Popen([sys.executable, \\"-c\\", "
        "\\"import time; time.sleep(0.5)\\"]); sys.exit(7)'",
        startsecs=0, autorestart=AutoRestart.NEVER,
    )
    keeper = proc("keeper", py + " -c 'import time; time.sleep(0.8)'", startsecs=0,
                  autorestart=AutoRestart.NEVER)

    async def main():
        log = RecordingLog()
        sup = Supervisor(root_of(program(orphaner), program(keeper)), log=log,
                         reap_orphans=True)
        await sup.start()
        await until(lambda: "reaped unknown pid" in log.text(), timeout=20)
        await until(lambda: sup.snapshot("keeper", "keeper").state is S.EXITED, timeout=20)
        result = {
            "orphaner": sup.snapshot("orphaner", "orphaner").exitstatus,
            "keeper": sup.snapshot("keeper", "keeper").exitstatus,
            "zombies": zombie_children(os.getpid()),
        }
        sup.request_shutdown()
        await sup.wait_finished()
        await sup.close()
        print(json.dumps(result))

    asyncio.run(main())
""")


def test_orphans_are_reaped_and_managed_statuses_kept() -> None:
    report = run_scenario(SCENARIO)
    assert report == {"orphaner": 7, "keeper": 0, "zombies": []}
