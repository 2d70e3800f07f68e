"""A service that speaks systemd's sd_notify with nothing but the standard library."""

import os
import socket
import time


def notify(message: str) -> None:
    path = os.environ.get("NOTIFY_SOCKET")
    if path:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.sendto(message.encode(), path)


notify("STATUS=loading")
time.sleep(2)  # pretend to warm up
notify("READY=1\nSTATUS=serving")
interval = int(os.environ.get("WATCHDOG_USEC", "10000000")) / 1e6 / 2
while True:
    time.sleep(interval)
    notify("WATCHDOG=1")
