#!/usr/bin/python3
"""webhook_sink.py -- a fast webhook endpoint for tests/bench/webhooks.

    webhook_sink.py PORT LOG [--hang PATH]...

Listens on 127.0.0.1:PORT (asyncio, HTTP/1.1 keep-alive). Every request is
recorded as one line of LOG: the arrival time (time.time(), when its body
has been read), the path, and the webhook-id header ("-" if none):

    1795813204.245123 /hooks/hr msg_1795813204245_0

and answered at once 200 {"errcode":0,"code":0} (which every format reads
as delivered), except on the paths given with --hang (or all of them with
--hang '*'): there the request is recorded and never answered; the
connection is held until the client gives up and closes it.

GET /_sink/stats answers {"requests": n, "ids": distinct webhook-ids,
"open": connections now, "hanging": requests held unanswered} (not
recorded); GET /_sink/stats?except=PATH adds "ids_except": the distinct
webhook-ids that arrived on other paths than PATH. LOG is flushed every 0.2 s and on SIGTERM/SIGINT.
"""

import asyncio
import json
import signal
import sys
import time

ANSWER = b'{"errcode":0,"code":0}'
REPLY = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
         b"Content-Length: %d\r\n\r\n" % len(ANSWER)) + ANSWER


class Sink:
    def __init__(self, log, hang):
        self.log = open(log, "a", buffering=1 << 20)
        self.hang = set(hang)
        self.hang_all = "*" in self.hang
        self.requests = 0
        self.ids = set()
        self.by_path = {}
        self.open = 0
        self.hanging = 0

    def stats(self, query):
        out = {"requests": self.requests, "ids": len(self.ids),
               "open": self.open, "hanging": self.hanging}
        if query.startswith("except="):
            skip = query[len("except="):]
            out["ids_except"] = sum(len(v) for k, v in self.by_path.items() if k != skip)
        return json.dumps(out).encode()

    async def serve(self, reader, writer):
        self.open += 1
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                        ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                parts = lines[0].split(" ")
                if len(parts) < 2:
                    return
                path, _, query = parts[1].partition("?")
                length, hook_id, close = 0, "-", False
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    name = name.strip().lower()
                    if name == "content-length":
                        length = int(value.strip() or 0)
                    elif name == "webhook-id":
                        hook_id = value.strip()
                    elif name == "connection" and value.strip().lower() == "close":
                        close = True
                    elif name == "expect" and "100-continue" in value.lower():
                        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                if length:
                    try:
                        await reader.readexactly(length)
                    except (asyncio.IncompleteReadError, ConnectionError):
                        return
                if path == "/_sink/stats":
                    body = self.stats(query)
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                 b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
                    await writer.drain()
                    continue
                now = time.time()
                self.requests += 1
                self.ids.add(hook_id)
                self.by_path.setdefault(path, set()).add(hook_id)
                self.log.write("%.6f %s %s\n" % (now, path, hook_id))
                if self.hang_all or path in self.hang:
                    # Never answer: hold the connection until the client
                    # closes it (its timeout).
                    self.hanging += 1
                    try:
                        while await reader.read(65536):
                            pass
                    except ConnectionError:
                        pass
                    finally:
                        self.hanging -= 1
                    return
                writer.write(REPLY)
                if close:
                    await writer.drain()
                    return
                if writer.transport.get_write_buffer_size() > 65536:
                    await writer.drain()
        finally:
            self.open -= 1
            writer.close()

    async def flusher(self):
        while True:
            await asyncio.sleep(0.2)
            self.log.flush()


async def main(argv):
    if len(argv) < 3:
        sys.stderr.write("usage: webhook_sink.py PORT LOG [--hang PATH]...\n")
        return 2
    port, log, hang = int(argv[1]), argv[2], []
    rest = argv[3:]
    while rest:
        if rest[0] == "--hang" and len(rest) > 1:
            hang.append(rest[1])
            rest = rest[2:]
        else:
            sys.stderr.write("webhook_sink.py: unknown argument %r\n" % rest[0])
            return 2
    sink = Sink(log, hang)
    server = await asyncio.start_server(sink.serve, "127.0.0.1", port,
                                        backlog=1024, reuse_address=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)
    flush = asyncio.create_task(sink.flusher())
    async with server:
        await stop.wait()
    flush.cancel()
    sink.log.flush()
    sink.log.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv)))
