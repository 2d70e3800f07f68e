"""minder: a supervisord-compatible process supervisor."""

__version__ = "1.0.0"

# The version reported over XML-RPC (supervisor.getSupervisorVersion). Tools
# written for supervisord compare against it, so it mirrors the release we
# are compatible with; minder's own version is __version__.
SUPERVISOR_COMPAT_VERSION = "4.3.0"
API_VERSION = "3.0"
