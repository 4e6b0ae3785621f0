"""A local DynamoDB-compatible server (moto) on 127.0.0.1, for tests and examples.

Prints the endpoint URL once the server listens, then serves until its standard input closes,
so that it stops when the process that started it exits, however that process ends.

    python scripts/local_dynamodb.py [PORT]      # PORT 0 or absent: any free port
"""

import logging
import sys

from moto.server import ThreadedMotoServer


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    # One log line per request would drown the output of the program under test.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    print(f"http://{host}:{port}", flush=True)
    try:
        sys.stdin.read()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
