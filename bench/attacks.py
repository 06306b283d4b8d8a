#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The attacks of the hardening work, against one rtlab-server binary, on loopback.

    python3 bench/attacks.py --server build/bin/rtlab-server [--only NAME,...] [--json FILE]

Each attack starts a fresh server on a free loopback port (--tick-rate 0), keeps one SSE subscriber
connected throughout, publishes a numbered message before and after the attack, and reports what
the server did (status, whether it stopped reading or cut the connection, its resident memory at
the worst moment) and whether the subscriber received every message in order. Every loop is
bounded in bytes and in time. It is a measurement for docs/benchmarks.md, not a test: the tests
(tst_slowclients, tst_fdlimit, ...) assert the same behaviour without timing.

Attacks:
  pipeline   10 MB of pipelined "GET /" from a client that never reads
  pollflood  300 x 16 KiB messages in history, then pipelined /poll?after=1&timeout=0, never read
  pingflood  100 MB of masked WebSocket pings from a client that never reads
  slowloris  300 connections sending one header byte every 2 s: how long until the server closes them
  fdlimit    1,500 idle connections against a 1,024 fd limit, then GET /healthz
  head       HEAD /poll and HEAD /events: bytes after the head
  rebinding  POST /send with Host: attacker.example and a matching Origin
"""
import argparse
import json
import os
import resource
import select
import socket
import struct
import subprocess
import sys
import threading
import time


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class Server:
    def __init__(self, binary, args=(), nofile=None):
        self.port = free_port()
        def limit():
            if nofile:
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
        self.log = open(os.devnull, "w")
        self.proc = subprocess.Popen([binary, "--port", str(self.port), "--tick-rate", "0", *args],
                                     stdout=self.log, stderr=subprocess.PIPE, preexec_fn=limit)
        self.stderr = []
        threading.Thread(target=self._drain, daemon=True).start()
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                if request(self.port, b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n", 2)[0] == 200:
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("server did not start")

    def _drain(self):
        for line in self.proc.stderr:
            if len(self.stderr) < 10000:
                self.stderr.append(line.decode(errors="replace").rstrip())

    def rss(self):
        return rss_kib(self.proc.pid)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def request(port, raw, timeout=5):
    """One request on its own connection: (status, head+body bytes read before close or timeout)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(raw)
        data = b""
        end = time.time() + timeout
        while time.time() < end:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            data += chunk
            head, sep, body = data.partition(b"\r\n\r\n")
            if sep:
                length = [l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
                if length and len(body) >= int(length[0].split(b":")[1]):
                    break
        status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.") else 0
        return status, data
    finally:
        s.close()


def publish(port, text, host=b"localhost", origin=None):
    body = json.dumps({"from": "attack", "text": text}).encode()
    headers = b"POST /send HTTP/1.1\r\nHost: " + host + b"\r\nContent-Type: application/json\r\n"
    if origin:
        headers += b"Origin: " + origin + b"\r\n"
    headers += b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
    return request(port, headers + body)[0]


class Subscriber(threading.Thread):
    """An SSE client connected throughout: the chat messages it receives, in order."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.texts = []
        self.stop_at = None
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=1)
        self.sock.sendall(b"GET /events HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n")
        self.start()

    def run(self):
        buffer = b""
        while self.stop_at is None or time.time() < self.stop_at:
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                break
            if not chunk:
                break
            buffer += chunk
            while b"\n\n" in buffer:
                event, buffer = buffer.split(b"\n\n", 1)
                for line in event.split(b"\n"):
                    if line.startswith(b"data:"):
                        try:
                            message = json.loads(line[5:])
                        except ValueError:
                            continue
                        if message.get("type") == "chat" and message.get("from") == "attack":
                            self.texts.append(message["text"])

    def finish(self, expected):
        self.stop_at = time.time() + 5
        while time.time() < self.stop_at and self.texts != expected:
            time.sleep(0.05)
        self.stop_at = 0
        self.sock.close()
        return self.texts == expected


def watch(server, sock, seconds, send=None):
    """Runs `send` (a bytes generator) into sock without ever reading, for at most `seconds`.
    Returns (bytes sent, peak RSS KiB, how it ended: 'closed by server' / 'server stopped reading' / 'sent all')."""
    sock.setblocking(False)
    sent = 0
    peak = server.rss()
    end = time.time() + seconds
    pending = b""
    stalled_since = None
    outcome = "sent all"
    while time.time() < end:
        peak = max(peak, server.rss())
        if not pending:
            pending = next(send, b"") if send else b""
            if not pending:
                time.sleep(0.1)
                continue
        _, writable, errored = select.select([], [sock], [sock], 0.2)
        if errored:
            outcome = "closed by server"
            break
        if not writable:
            if stalled_since is None:
                stalled_since = time.time()
            elif time.time() - stalled_since > 2:
                outcome = "server stopped reading"
                break
            continue
        stalled_since = None
        try:
            n = sock.send(pending)
        except (BrokenPipeError, ConnectionResetError):
            outcome = "closed by server"
            break
        except BlockingIOError:
            continue
        sent += n
        pending = pending[n:]
    else:
        outcome = "sent all" if not pending else "time up"
    time.sleep(0.5)
    peak = max(peak, server.rss())
    return sent, peak, outcome


def chunks(unit, total):
    count = total // len(unit)
    batch = max(1, 65536 // len(unit))
    while count > 0:
        n = min(batch, count)
        count -= n
        yield unit * n


def attack_pipeline(server):
    s = socket.create_connection(("127.0.0.1", server.port))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sent, peak, outcome = watch(server, s, 10, chunks(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", 10 * 1000 * 1000))
    s.close()
    return {"sent_bytes": sent, "outcome": outcome}, peak


def attack_pollflood(server):
    for i in range(300):
        publish(server.port, "x" * 16000)
    s = socket.create_connection(("127.0.0.1", server.port))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    unit = b"GET /poll?after=1&timeout=0 HTTP/1.1\r\nHost: localhost\r\n\r\n"
    sent, peak, outcome = watch(server, s, 10, chunks(unit, 2450 // len(unit) * len(unit)))
    s.close()
    return {"sent_bytes": sent, "outcome": outcome}, peak


def attack_pingflood(server):
    s = socket.create_connection(("127.0.0.1", server.port))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.sendall(b"GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    payload = b"p" * 125
    ping = bytes([0x89, 0x80 | len(payload)]) + b"\0\0\0\0" + payload  # zero mask: payload as is
    sent, peak, outcome = watch(server, s, 15, chunks(ping, 100 * 1000 * 1000))
    s.close()
    return {"sent_bytes": sent, "outcome": outcome}, peak


def attack_slowloris(server, count=300, period=2.0, limit=40.0):
    socks = []
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", server.port))
        s.setblocking(False)
        socks.append(s)
    request_bytes = b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + b"a" * 1000
    start = time.time()
    peak = server.rss()
    step = 0
    closed_at = {}
    statuses = {}
    while time.time() - start < limit and len(closed_at) < count:
        for i, s in enumerate(socks):
            if i in closed_at:
                continue
            try:
                data = s.recv(4096)
                if data.startswith(b"HTTP/1."):
                    statuses[i] = int(data.split(b" ", 2)[1])
                if data == b"" or data.startswith(b"HTTP/1."):
                    closed_at[i] = time.time() - start
                    continue
            except BlockingIOError:
                pass
            except OSError:
                closed_at[i] = time.time() - start
                continue
            try:
                s.send(request_bytes[step:step + 1])
            except OSError:
                closed_at[i] = time.time() - start
        step += 1
        peak = max(peak, server.rss())
        time.sleep(period)
    for s in socks:
        s.close()
    held = count - len(closed_at)
    result = {"connections": count, "byte_every_s": period, "still_open_after_s": round(limit) if held else None,
              "open_at_end": held, "answered": {str(k): list(statuses.values()).count(k) for k in set(statuses.values())},
              "closed_by_s": round(max(closed_at.values()), 1) if closed_at and not held else None}
    return result, peak


def attack_fdlimit(server):
    socks = []
    for _ in range(1500):
        try:
            socks.append(socket.create_connection(("127.0.0.1", server.port), timeout=2))
        except OSError:
            break
    time.sleep(1)
    t0 = time.time()
    try:
        status, _ = request(server.port, b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n", 10)
    except OSError as e:
        status = str(e)
    waited = time.time() - t0
    for s in socks:
        s.close()
    time.sleep(1)
    t1 = time.time()
    try:
        after, _ = request(server.port, b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n", 10)
    except OSError as e:
        after = str(e)
    log = [l for l in server.stderr if "accept" in l.lower() or "descriptor" in l.lower()]
    return {"idle_connections": len(socks), "healthz_under_limit": status, "healthz_waited_s": round(waited, 2),
            "healthz_after_idle_gone": after, "healthz_after_waited_s": round(time.time() - t1, 2),
            "log_lines": len(log), "log_sample": log[:3]}, server.rss()


def attack_head(server):
    publish(server.port, "y" * 1000)
    out = {}
    for path in (b"/poll?after=0", b"/events", b"/"):
        status, data = request(server.port, b"HEAD " + path + b" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", 3)
        out[path.decode()] = {"status": status, "bytes_after_head": len(data.partition(b"\r\n\r\n")[2])}
    return out, server.rss()


def attack_rebinding(server):
    host = b"attacker.example:%d" % server.port
    return {"status": publish(server.port, "rebinding", host=host, origin=b"http://" + host)}, server.rss()


ATTACKS = {"pipeline": attack_pipeline, "pollflood": attack_pollflood, "pingflood": attack_pingflood,
           "slowloris": attack_slowloris, "fdlimit": attack_fdlimit, "head": attack_head, "rebinding": attack_rebinding}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", required=True)
    parser.add_argument("--only", default=",".join(ATTACKS))
    parser.add_argument("--json")
    parser.add_argument("--server-arg", action="append", default=[])
    args = parser.parse_args()
    results = {}
    for name in args.only.split(","):
        server = Server(args.server, args.server_arg, nofile=1024 if name == "fdlimit" else None)
        try:
            start_rss = server.rss()
            subscriber = Subscriber(server.port)
            time.sleep(0.3)
            publish(server.port, "before")
            result, peak = ATTACKS[name](server)
            publish(server.port, "after")
            expected = ["before"] + (["rebinding"] if result.get("status") == 202 else []) + ["after"]
            if name == "pollflood":
                expected = ["before"] + ["x" * 16000] * 300 + ["after"]
            if name == "head":
                expected = ["before", "y" * 1000, "after"]
            result["rss_start_mib"] = round(start_rss / 1024, 1)
            result["rss_peak_mib"] = round(peak / 1024, 1)
            result["rss_end_mib"] = round(server.rss() / 1024, 1)
            result["subscriber_lost_nothing"] = subscriber.finish(expected)
            result["server_alive"] = server.proc.poll() is None
        finally:
            server.stop()
        results[name] = result
        print(name, json.dumps(result), flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())
