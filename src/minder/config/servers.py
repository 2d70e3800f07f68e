"""HTTP servers, ``[supervisorctl]``, ``[rpcinterface:x]`` and ``[ctlplugin:x]``."""

from __future__ import annotations

from minder.config import values
from minder.config.context import LoadContext, SectionReader
from minder.config.expand import env_names
from minder.model.specs import CtlSpec, HttpServerSpec, RpcInterfaceSpec

RPC_FACTORY_KEY = "supervisor.rpcinterface_factory"
CTL_FACTORY_KEY = "supervisor.ctl_factory"


def read_unix_server(ctx: LoadContext, section: str) -> HttpServerSpec:
    r = SectionReader(ctx, section)
    env = env_names(ctx.environ)
    path = r.text("file", {"here": "", **env})
    if path is None:
        r.error("file", "section has no file value",
                "add file=/path/to/supervisor.sock")
    username, password = _auth(r, env)
    chown = r.get("chown", values.user_and_group, (-1, -1), env)
    return HttpServerSpec(
        section=section,
        family="unix",
        path=ctx.normalized(path) if path else None,
        chmod=r.get("chmod", values.octal, 0o700, env),
        chown_uid=chown[0],
        chown_gid=chown[1],
        username=username,
        password=password,
        probe_endpoints=r.get("probe_endpoints", values.boolean, False, env),
        source=r.provenance,
    )


def read_inet_server(ctx: LoadContext, section: str) -> HttpServerSpec:
    r = SectionReader(ctx, section)
    env = env_names(ctx.environ)
    address: tuple[str, int] | None = None
    if not r.has("port"):
        r.error("port", "section has no port value", "add port=127.0.0.1:9001")
    else:
        address = r.get("port", values.inet_address, None, env)
    username, password = _auth(r, env)
    allow = r.get("allow_unauthenticated_remote", values.boolean, False, env)
    if address is not None and username is None and not allow and not _loopback(address[0]):
        shown = address[0] or "all interfaces"
        r.error(
            "port",
            f"listens on {shown} without username/password",
            f"set username and password, listen on 127.0.0.1:{address[1]}, "
            "or set allow_unauthenticated_remote=true",
            "anyone who can reach the port could run commands as this daemon",
        )
    return HttpServerSpec(
        section=section,
        family="inet",
        host=address[0] if address else None,
        port=address[1] if address else None,
        username=username,
        password=password,
        allow_unauthenticated_remote=allow,
        probe_endpoints=r.get("probe_endpoints", values.boolean, False, env),
        source=r.provenance,
    )


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    import ipaddress  # [inet_http_server] only

    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _auth(r: SectionReader, env: dict[str, str | int]) -> tuple[str | None, str | None]:
    username = r.text("username", env)
    password = r.text("password", env)
    if username == "":
        # supervisord reads an empty username as "no authentication", silently.
        r.error(
            "username",
            "an empty username= would turn authentication off",
            "set a user name, or remove username= and password= to run this server "
            "without authentication on purpose",
        )
        return None, None
    if (username is None) != (password is None):
        r.error(
            "username" if username is not None else "password",
            f"Section [{r.section}] contains incomplete authentication: If a username or a "
            "password is specified, both the username and password must be specified",
            "add the missing " + ("password" if password is None else "username"),
        )
    return username, password


def read_ctl(ctx: LoadContext) -> CtlSpec:
    r = SectionReader(ctx, "supervisorctl")
    env = env_names(ctx.environ)
    here_env = {"here": "", **env}
    default = CtlSpec()
    serverurl = r.text("serverurl", here_env, default.serverurl) or default.serverurl
    if serverurl.startswith("unix://"):
        serverurl = "unix://" + ctx.normalized(serverurl[len("unix://"):])
    history = r.text("history_file", here_env)
    return CtlSpec(
        serverurl=serverurl,
        username=r.text("username", env),
        password=r.text("password", env),
        prompt=r.text("prompt", env, default.prompt) or default.prompt,
        history_file=ctx.absolute(history) if history else None,
    )


def read_rpcinterface(ctx: LoadContext, section: str) -> RpcInterfaceSpec:
    r = SectionReader(ctx, section)
    env = env_names(ctx.environ)
    factory = r.text(RPC_FACTORY_KEY, env)
    if not factory:
        r.error(RPC_FACTORY_KEY, f"section does not specify a {RPC_FACTORY_KEY}",
                f"add {RPC_FACTORY_KEY} = supervisor.rpcinterface:make_main_rpcinterface")
    extras = tuple(
        (key, r.text(key, env) or "")
        for key in ctx.doc.keys(section) if key != RPC_FACTORY_KEY
    )
    return RpcInterfaceSpec(section.partition(":")[2], factory or "", extras)


def check_ctlplugin(ctx: LoadContext, section: str) -> None:
    r = SectionReader(ctx, section)
    if not r.raw(CTL_FACTORY_KEY):
        r.error(CTL_FACTORY_KEY, f"section does not specify a {CTL_FACTORY_KEY}")
