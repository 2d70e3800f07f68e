#!/usr/bin/env python3
"""A small, real stand-in for RocketMap's runserver.py.

The user's guide runs two kinds of RocketMap instance under supervisord:
``--only-server`` serves the map (a page and a JSON endpoint) from the SQL
database, and ``--no-server`` runs a scanner worker that keeps writing to
it. This script does both against a SQLite file, so the guide's configs can
be exercised for real without the original project.

Defaults come from ``config/config.ini`` next to this script (as
RocketMap's do), so the guide's command lines stay unchanged.
"""

from __future__ import annotations

import argparse
import configparser
import json
import os
import random
import signal
import sqlite3
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent


def load_defaults() -> dict[str, str]:
    parser = configparser.ConfigParser()
    parser.read(HERE / "config" / "config.ini")
    return dict(parser["rocketmap"]) if parser.has_section("rocketmap") else {}


def parse_args(argv: list[str]) -> argparse.Namespace:
    defaults = load_defaults()
    p = argparse.ArgumentParser(description="RocketMap stand-in")
    p.add_argument("--only-server", action="store_true", help="serve the map only")
    p.add_argument("--no-server", action="store_true", help="run a scanner worker only")
    p.add_argument("-l", "--location", default=defaults.get("location", "0,0"))
    p.add_argument("-sn", "--status-name", default="worker")
    p.add_argument("-H", "--host", default=defaults.get("host", "127.0.0.1"))
    p.add_argument("-P", "--port", type=int, default=int(defaults.get("port", "5000")))
    p.add_argument("--db", default=defaults.get("db", str(HERE / "rocketmap.db")))
    p.add_argument("-speed", "--speed-scan", action="store_true")
    p.add_argument("-gf", "--geofence-file", default=None)
    p.add_argument("-st", "--step-limit", type=int, default=10)
    p.add_argument("-w", "--workers", type=int, default=1)
    p.add_argument("--interval", type=float, default=float(defaults.get("interval", "0.5")))
    args = p.parse_args(argv)
    if args.only_server == args.no_server:
        p.error("give exactly one of --only-server or --no-server")
    return args


def connect(db: str) -> sqlite3.Connection:
    conn = sqlite3.connect(db, timeout=30, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(
        "CREATE TABLE IF NOT EXISTS sightings ("
        " id INTEGER PRIMARY KEY, worker TEXT, location TEXT, pokemon_id INTEGER,"
        " lat REAL, lon REAL, seen REAL)"
    )
    return conn


def log(msg: str, *, err: bool = False) -> None:
    stream = sys.stderr if err else sys.stdout
    stream.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {msg}\n")
    stream.flush()


def run_worker(args: argparse.Namespace) -> None:
    conn = connect(args.db)
    rng = random.Random()
    geofence = Path(args.geofence_file).read_text().strip() if args.geofence_file else "none"
    log(f"[{args.status_name}] starting scanner at {args.location!r} "
        f"(steps {args.step_limit}, workers {args.workers}, geofence {geofence!r}) "
        f"in {os.getcwd()}")
    log(f"[{args.status_name}] this line goes to stderr", err=True)
    n = 0
    while True:
        n += 1
        conn.execute(
            "INSERT INTO sightings (worker, location, pokemon_id, lat, lon, seen)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (args.status_name, args.location, rng.randint(1, 151),
             rng.uniform(-90, 90), rng.uniform(-180, 180), time.time()),
        )
        log(f"[{args.status_name}] scan {n}: wrote 1 sighting")
        time.sleep(args.interval)


COLUMNS = ("worker", "pokemon_id", "lat", "lon", "seen")


class MapHandler(BaseHTTPRequestHandler):
    conn: sqlite3.Connection
    location: str

    def do_GET(self) -> None:
        if self.path.startswith("/raw_data"):
            rows = self.conn.execute(
                "SELECT worker, pokemon_id, lat, lon, seen FROM sightings"
                " ORDER BY id DESC LIMIT 100"
            ).fetchall()
            total = self.conn.execute("SELECT COUNT(*) FROM sightings").fetchone()[0]
            body = json.dumps({
                "total": total,
                "workers": sorted({r[0] for r in rows}),
                "pokemons": [dict(zip(COLUMNS, r, strict=True)) for r in rows],
            }).encode()
            ctype = "application/json"
        elif self.path in ("/", "/index.html"):
            total = self.conn.execute("SELECT COUNT(*) FROM sightings").fetchone()[0]
            body = (f"<!doctype html><title>RocketMap</title><h1>RocketMap</h1>"
                    f"<p>Centered on {self.location}</p><p>{total} sightings</p>").encode()
            ctype = "text/html; charset=utf-8"
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        log(f"{self.address_string()} {format % args}")


def run_server(args: argparse.Namespace) -> None:
    MapHandler.conn = connect(args.db)
    MapHandler.location = args.location
    server = ThreadingHTTPServer((args.host, args.port), MapHandler)
    log(f"webserver listening on http://{args.host}:{args.port}/ "
        f"(map centered on {args.location!r})")
    server.serve_forever()


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    args = parse_args(sys.argv[1:])
    if args.only_server:
        run_server(args)
    else:
        run_worker(args)


if __name__ == "__main__":
    main()
