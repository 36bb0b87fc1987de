"""Send a few UDP datagrams (unicast, broadcast, loopback, multicast) so counters and neighbours move.

The sandbox has no ping; this is what the "two captures of an unchanged host" test runs between
its captures:  python tests/capture/traffic.py ADDRESS...
"""

import socket
import sys
import time

with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    for address in sys.argv[1:]:
        for _ in range(3):
            try:
                s.sendto(b"netstack-docs test traffic", (address, 9))
            except OSError as exc:  # unreachable is fine: the attempt is what creates neighbours
                print(f"traffic: {address}: {exc.strerror}", file=sys.stderr)
time.sleep(0.3)  # let neighbour resolution start
