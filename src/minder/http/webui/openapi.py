"""The OpenAPI 3.1 description served at ``/api/v1/openapi.json``.

Built from small tables rather than written out by hand so each path is
one line here; docs/api.md is the prose companion.
"""

from __future__ import annotations

from typing import Any

from minder import __version__

_ERROR = {"$ref": "#/components/schemas/Error"}
_NAME = {
    "name": "name",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "a namespec: `program` or `group:process`",
}
_GROUP = {"name": "group", "in": "path", "required": True, "schema": {"type": "string"}}
_ACTION = {
    "name": "action",
    "in": "path",
    "required": True,
    "schema": {"enum": ["start", "stop", "restart", "signal", "clear"]},
}
_CHANNEL = {
    "name": "channel",
    "in": "path",
    "required": True,
    "schema": {"enum": ["stdout", "stderr"]},
}
_OFFSET = [
    {
        "name": "offset",
        "in": "query",
        "schema": {"type": "integer"},
        "description": "byte offset to read from; omit for the end of the file",
    },
    {"name": "length", "in": "query", "schema": {"type": "integer", "default": 65536}},
]

# (method, path, summary, parameters, mutates)
_PATHS: list[tuple[str, str, str, list[dict[str, Any]], bool]] = [
    ("get", "/daemon", "Daemon identification, state, pid and version", [], False),
    ("get", "/csrf", "The CSRF token to send in X-CSRF-Token", [], False),
    ("get", "/processes", "Every process, sorted by group then name", [], False),
    ("get", "/processes/{name}", "One process", [_NAME], False),
    (
        "post",
        "/processes/{name}/{action}",
        "Start, stop, restart, signal ({signal}) or clear the logs of one process",
        [_NAME, _ACTION],
        True,
    ),
    (
        "get",
        "/processes/{name}/log/{channel}",
        "A slice of a process log by byte offset",
        [_NAME, _CHANNEL, *_OFFSET],
        False,
    ),
    (
        "get",
        "/processes/{name}/log/{channel}/download",
        "The whole current log file",
        [_NAME, _CHANNEL],
        False,
    ),
    (
        "post",
        "/processes/{name}/stdin",
        "Write {data} (a string, UTF-8) to its stdin",
        [_NAME],
        True,
    ),
    (
        "post",
        "/rolling-restart",
        "Restart {names} (namespecs or group:*) {batch} at a time, each ready before the "
        "next; stops at the first failure",
        [],
        True,
    ),
    ("get", "/groups", "Every group with its members and state counts", [], False),
    ("get", "/groups/{group}", "One group with its members", [_GROUP], False),
    (
        "post",
        "/groups/{group}/{action}",
        "An action on every eligible process of a group",
        [_GROUP, _ACTION],
        True,
    ),
    ("post", "/all/{action}", "An action on every eligible process", [_ACTION], True),
    ("post", "/config/reread", "Re-read the config file; returns the pending changes", [], True),
    ("post", "/config/update", "Re-read and apply: remove, update and add groups", [], True),
    ("get", "/mainlog", "A slice of the daemon's main log by byte offset", _OFFSET, False),
    ("get", "/mainlog/download", "The whole current main log", [], False),
    ("post", "/mainlog/clear", "Truncate the main log", [], True),
    (
        "get",
        "/events",
        "Server-Sent Events: hello, process, groups, supervisor, log, mainlog, resync",
        [
            {
                "name": "logs",
                "in": "query",
                "schema": {"type": "string"},
                "description": "`all` or comma-separated namespecs whose output to stream",
            },
            {"name": "mainlog", "in": "query", "schema": {"enum": ["1"]}},
        ],
        False,
    ),
]


def openapi_document() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for method, path, summary, params, mutates in _PATHS:
        op: dict[str, Any] = {
            "summary": summary,
            "parameters": params,
            "responses": {
                "200": {"description": "OK", "content": {"application/json": {}}},
                "default": {
                    "description": "An error",
                    "content": {"application/json": {"schema": _ERROR}},
                },
            },
        }
        if mutates:
            op["security"] = [{"csrf": []}]
        paths.setdefault(path, {})[method] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "minder JSON API", "version": __version__},
        "servers": [{"url": "api/v1"}],
        "paths": paths,
        "components": {
            "securitySchemes": {"csrf": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["code", "name", "message"],
                    "properties": {
                        "code": {
                            "type": "integer",
                            "description": "supervisord fault code, or the HTTP status",
                        },
                        "name": {"type": "string", "examples": ["BAD_NAME", "CSRF_REJECTED"]},
                        "message": {"type": "string"},
                    },
                }
            },
        },
    }
