"""``minderctl`` entry point: parse options, run one command or the shell.

The console script calls ``run`` (``main``, then the process ends);
everything beyond the option parser is imported only once we know what to run.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from minder.ctl.options import USAGE, HelpRequested, UsageError, VersionRequested, parse

    args = sys.argv[1:] if argv is None else argv
    progname = sys.argv[0] if sys.argv and sys.argv[0] else "minderctl"
    try:
        options = parse(args)
    except HelpRequested:
        from minder.ctl.helptext import commands_text

        sys.stdout.write(USAGE % progname + commands_text())
        return 0
    except VersionRequested:
        from minder import API_VERSION, SUPERVISOR_COMPAT_VERSION, __version__

        sys.stdout.write(
            f"minderctl {__version__} (minder; speaks supervisord {SUPERVISOR_COMPAT_VERSION}'s "
            f"XML-RPC API {API_VERSION})\n"
        )
        return 0
    except UsageError as exc:
        sys.stderr.write(f"Error: {exc}\nFor help, use {progname} -h\n")
        return 2
    from minder.ctl.session import Session

    if hasattr(sys.stdout, "reconfigure"):
        # log text may hold anything; a non-UTF-8 terminal gets '?' rather than a traceback
        sys.stdout.reconfigure(errors="replace")
    session = Session(options)
    if options.serverurls:
        from minder.ctl.commands.fleet import fleet_status

        fleet_status(session, options.args[1:])
        session.out.flush()
        return session.exitstatus
    if not options.args:
        from minder.ctl.shell import interact

        return interact(session)
    from minder.ctl.dispatch import run_command

    try:
        run_command(session, " ".join(options.args))
        session.out.flush()
    except KeyboardInterrupt:
        session.output("")
    except BrokenPipeError:  # `minderctl status | head -1`: the reader left, not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return session.exitstatus


def run() -> None:
    """The console script: ``main()``, then end the process at once when nothing is left to do.

    Why: tearing the interpreter down (every module, the answer's objects)
    cost ~1.7 ms of CPU at the end of a 100-process ``minderctl status``,
    a third of everything minderctl does beyond starting Python (more at
    5,000 processes: 5,000 dicts to free). Once the output is flushed,
    nothing registered for exit (``atexit``: the shell's history) and no
    other thread running, ``os._exit`` ends it with the same status and
    output; otherwise the normal exit runs.
    """
    import atexit
    import os

    status = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BrokenPipeError:  # the reader left: what is unwritten goes nowhere, as in main
            os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())
        except ValueError:  # a stream someone closed: nothing of ours to flush
            pass

    threading = sys.modules.get("threading")
    if atexit._ncallbacks() == 0 and (threading is None or threading.active_count() == 1):
        os._exit(status)
    sys.exit(status)


if __name__ == "__main__":
    run()
