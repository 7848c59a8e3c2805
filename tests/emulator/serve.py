"""Runs the moto emulator in server mode on 127.0.0.1 for strata's tests and demo.

    python serve.py [--port N] [--watch-parent]

Prints the endpoint URL on its first line of output once the server answers. With
--watch-parent it exits when the process that started it goes away, so a test run that is
killed leaves no server behind.
"""

import argparse
import logging
import os
import sys
import threading
import time
import urllib.request

from moto.server import ThreadedMotoServer


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--watch-parent", action="store_true")
    args = parser.parse_args()

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    parent = os.getppid()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=args.port, verbose=False)
    server.start()
    port = server._server.server_port  # the real port when 0 was asked for
    url = f"http://127.0.0.1:{port}"
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
