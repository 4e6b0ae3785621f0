"""A local DynamoDB-compatible server (moto) on 127.0.0.1, for tests and examples.

Prints the endpoint URL once the server listens, then serves until its standard input closes,
so that it stops when the process that started it exits, however that process ends.

    python scripts/local_dynamodb.py [PORT]      # PORT 0 or absent: any free port

Requests are handled one at a time. DynamoDB applies each conditional write atomically;
moto checks the condition and writes in two steps, so two concurrent requests could both
pass a condition only one of them should. Serving requests one by one restores DynamoDB's
guarantee, which the optimistic-locking and counter tests rely on.
"""

import logging
import sys
import threading

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server


def one_request_at_a_time(app):
    lock = threading.Lock()

    def handle(environ, start_response):
        with lock:
            # Consume the response inside the lock: moto does its work while it is produced.
            return list(app(environ, start_response))

    return handle


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    # One log line per request would drown the output of the program under test.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = one_request_at_a_time(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    print(f"http://{host}:{port}", flush=True)
    try:
        sys.stdin.read()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()


if __name__ == "__main__":
    main()
