"""Runs the moto emulator in server mode on 127.0.0.1 for strata's tests and demo, behind the
test bed (testbed.py) that makes it behave like AWS where AWS is less kind.

    python serve.py [--port N] [--strict] [--config JSON|@FILE] [--latency-ms N] [--watch-parent]

Prints the endpoint URL on its first line of output once the server answers.
--strict turns on the test bed's AWS behaviours (pending states, refusals, lingering network
interfaces, pagination, eventual consistency); --config sets or tunes any of them (see
testbed.py); both can be changed later with POST /_testbed/config.
--latency-ms delays every AWS request (not the emulator's own /moto-api), like a slow region.
--watch-parent exits when the process that started it goes away, so a test run that is killed
leaves no server behind.
"""

import argparse
import json
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
import testbed


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--watch-parent", action="store_true")
    parser.add_argument("--strict", action="store_true")
    parser.add_argument("--config", default=None)
    args = parser.parse_args()

    if args.strict:
        testbed.CONFIG.merge(testbed.STRICT)
    if args.config:
        text = args.config
        if text.startswith("@"):
            with open(text[1:], encoding="utf-8") as f:
                text = f.read()
        testbed.CONFIG.merge(json.loads(text))
    if args.latency_ms:
        testbed.CONFIG.merge({"latency": {"fixed_ms": args.latency_ms}})
    testbed.install_model_patches()

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    parent = os.getppid()
    app = testbed.TestBed(DomainDispatcherApplication(create_backend_app))
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
