#!/usr/bin/env python3
"""User-space helpers for scripts/netns-regions.sh (Python 3 standard library only).

This kernel has no netem, so region latency cannot be added with `tc`. Instead:

  tun      Runs inside the routing namespace. Opens a TUN device; policy routing sends every
           packet that crosses between region subnets into it; this process holds each packet
           for the one-way delay of its (source region, destination region) pair and writes it
           back, and the kernel forwards it on to the destination namespace. Works for any IP
           traffic (UDP media, TCP signaling, ICMP ping).

  forward  A byte-stream forwarder between TCP and Unix sockets, optionally delaying each
           direction. netns-regions.sh uses it to give each region namespace its own
           127.0.0.1:4222/6379/5432 that lead (through a Unix socket on the shared filesystem)
           to NATS, Redis and PostgreSQL on the host's loopback, without adding any address
           outside the namespaces.

Usage:
  netns-delay.py tun --dev dly0 --region eu=10.200.1.0/30 --region us=10.200.2.0/30 \
                     --rtt eu:us=40 [--pid-file F]
  netns-delay.py forward --map tcp:127.0.0.1:4222=unix:/run/x/nats.sock [--map ...] \
                     [--delay-ms 20] [--pid-file F]
"""

import argparse
import asyncio
import fcntl
import heapq
import ipaddress
import os
import select
import signal
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000


def write_pid(path):
    if path:
        with open(path, "w") as f:
            f.write(f"{os.getpid()}\n")


# --------------------------------------------------------------------------------------------
# tun: delay between region subnets
# --------------------------------------------------------------------------------------------


def open_tun(name):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    os.set_blocking(fd, False)
    return fd


def run_tun(args):
    regions = []  # (network, region name)
    for spec in args.region:
        name, _, cidr = spec.partition("=")
        regions.append((ipaddress.IPv4Network(cidr), name))
    one_way = {}  # (from, to) -> seconds
    for spec in args.rtt:
        pair, _, ms = spec.partition("=")
        a, _, b = pair.partition(":")
        one_way[(a, b)] = one_way[(b, a)] = float(ms) / 2000.0

    def region_of(raw):
        addr = ipaddress.IPv4Address(raw)
        for network, name in regions:
            if addr in network:
                return name
        return None

    cache = {}

    def delay(src, dst):
        key = (src, dst)
        if key not in cache:
            a, b = region_of(src), region_of(dst)
            cache[key] = 0.0 if a is None or b is None or a == b else one_way.get((a, b), 0.0)
        return cache[key]

    fd = open_tun(args.dev)
    write_pid(args.pid_file)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))

    held = []  # heap of (due, seq, packet): constant delay per pair keeps each flow in order
    seq = 0
    forwarded = 0
    while not stop:
        timeout = max(0.0, held[0][0] - time.monotonic()) if held else 1.0
        try:
            readable, _, _ = select.select([fd], [], [], timeout)
        except InterruptedError:
            continue
        if readable:
            while True:
                try:
                    packet = os.read(fd, 65535)
                except BlockingIOError:
                    break
                if len(packet) < 20 or packet[0] >> 4 != 4:
                    continue  # only IPv4 is routed here
                seq += 1
                heapq.heappush(held, (time.monotonic() + delay(packet[12:16], packet[16:20]), seq, packet))
        now = time.monotonic()
        while held and held[0][0] <= now:
            _, _, packet = heapq.heappop(held)
            try:
                os.write(fd, packet)
                forwarded += 1
            except OSError as err:  # e.g. ENOBUFS under a burst: drop, as a router would
                print(f"tun write failed: {err}", file=sys.stderr)
    print(f"tun: stopped after {forwarded} packets", file=sys.stderr)


# --------------------------------------------------------------------------------------------
# forward: TCP <-> Unix socket byte streams
# --------------------------------------------------------------------------------------------


async def open_endpoint(spec):
    kind, _, rest = spec.partition(":")
    if kind == "unix":
        return await asyncio.open_unix_connection(rest)
    host, _, port = rest.rpartition(":")
    return await asyncio.open_connection(host, int(port))


async def start_server(spec, handler):
    kind, _, rest = spec.partition(":")
    if kind == "unix":
        if os.path.exists(rest):
            os.unlink(rest)
        server = await asyncio.start_unix_server(handler, rest)
        os.chmod(rest, 0o666)
        return server
    host, _, port = rest.rpartition(":")
    return await asyncio.start_server(handler, host, int(port), reuse_address=True)


async def pump(reader, writer, delay_s):
    """Copies one direction; with a delay, each chunk leaves delay_s after it arrived, in order."""
    queue = asyncio.Queue()

    async def sender():
        while True:
            due, data = await queue.get()
            if data is None:
                break
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()

    task = asyncio.create_task(sender())
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            await queue.put((time.monotonic() + delay_s, data))
    except (ConnectionError, OSError):
        pass
    await queue.put((0, None))
    try:
        await task
        writer.write_eof()
    except (ConnectionError, OSError, RuntimeError):
        pass


async def run_forward_async(args):
    delay_s = args.delay_ms / 1000.0
    servers = []
    for spec in args.map:
        listen, _, target = spec.partition("=")

        async def handler(reader, writer, target=target):
            try:
                up_reader, up_writer = await open_endpoint(target)
            except OSError as err:
                print(f"forward: cannot reach {target}: {err}", file=sys.stderr)
                writer.close()
                return
            await asyncio.gather(pump(reader, up_writer, delay_s), pump(up_reader, writer, delay_s))
            for w in (writer, up_writer):
                w.close()

        servers.append(await start_server(listen, handler))
    write_pid(args.pid_file)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    for server in servers:
        server.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    tun = sub.add_parser("tun")
    tun.add_argument("--dev", required=True)
    tun.add_argument("--region", action="append", default=[], help="NAME=CIDR")
    tun.add_argument("--rtt", action="append", default=[], help="A:B=MS (round trip)")
    tun.add_argument("--pid-file")
    fwd = sub.add_parser("forward")
    fwd.add_argument("--map", action="append", required=True, help="LISTEN=TARGET, each tcp:HOST:PORT or unix:PATH")
    fwd.add_argument("--delay-ms", type=float, default=0.0, help="added to each direction")
    fwd.add_argument("--pid-file")
    args = parser.parse_args()
    if args.command == "tun":
        run_tun(args)
    else:
        asyncio.run(run_forward_async(args))


if __name__ == "__main__":
    main()
