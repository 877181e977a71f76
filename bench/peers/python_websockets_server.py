"""The peer to beat: Python `websockets` doing what /ws/broadcast does.

A text message "pub:X" is sent as X to every other connection, with websockets' own
broadcast() (which writes each frame once per connection and skips slow ones)."""
import asyncio
import os
import sys

import websockets
from websockets.asyncio.server import broadcast, serve

CLIENTS = set()


async def handler(ws):
    CLIENTS.add(ws)
    try:
        async for message in ws:
            if isinstance(message, str) and message.startswith("pub:"):
                broadcast(CLIENTS - {ws}, message[4:])
    except websockets.ConnectionClosed:
        pass
    finally:
        CLIENTS.discard(ws)


async def main(port):
    # DEFLATE=1 (bench/run): permessage-deflate on, as LiveHub has it; otherwise off.
    compression = "deflate" if os.environ.get("DEFLATE") == "1" else None
    async with serve(handler, "127.0.0.1", port, compression=compression, max_size=1 << 20, ping_interval=None, backlog=4096):
        print("ready", flush=True)
        await asyncio.get_running_loop().create_future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
