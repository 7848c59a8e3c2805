"""Runs the moto emulator in server mode on 127.0.0.1 for strata's tests and demo.

    python serve.py [--port N] [--latency-ms N] [--watch-parent]

Prints the endpoint URL on its first line of output once the server answers.
--latency-ms delays every AWS request (not the emulator's own /moto-api), like a slow region.
--watch-parent exits when the process that started it goes away, so a test run that is killed
leaves no server behind.
"""

import argparse
import logging
import os
import sys
import threading
import time
import urllib.request

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

import fixes  # noqa: F401  (corrections to moto, applied on import)


class Latency:
    """WSGI middleware: sleeps before answering each AWS request."""

    def __init__(self, app, seconds: float):
        self.app = app
        self.seconds = seconds

    def __call__(self, environ, start_response):
        if self.seconds > 0 and not environ.get("PATH_INFO", "").startswith("/moto-api"):
            time.sleep(self.seconds)
        return self.app(environ, start_response)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--watch-parent", action="store_true")
    args = parser.parse_args()

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    parent = os.getppid()
    app = Latency(DomainDispatcherApplication(create_backend_app), args.latency_ms / 1000)
    server = make_server("127.0.0.1", args.port, app, threaded=True, request_handler=MotoRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    deadline = time.time() + 30
    while True:
        try:
            urllib.request.urlopen(url + "/moto-api/", timeout=2).read()
            break
        except Exception:
            if time.time() > deadline:
                print("the emulator did not start", file=sys.stderr)
                return 1
            time.sleep(0.1)
    print(url, flush=True)

    while True:
        time.sleep(0.5)
        if args.watch_parent and os.getppid() != parent:
            os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
