#!/usr/bin/python3
"""icap_slow_reader.py: an ICAP client that sends a whole RESPMOD body before it reads anything.

    icap_slow_reader.py PORT SERVICE MEGABYTES

Squid reads while it writes; this client does not, which is how a streaming ICAP service is
tested for bounded memory: if the service keeps taking input while its output cannot be
delivered, the whole body ends up in the service's memory and the writer never stalls.

Prints two lines, key=value:
    stalled_at=BYTES      body bytes the writer had sent when it made no progress for 2 s
                          (or "none" if it sent everything without anybody reading)
    received=BYTES sha256=HEX sent_sha256=HEX   after reading the whole answer
Talks only to 127.0.0.1. Exits 1 on a protocol error, 2 on a timeout (60 s).
"""
import hashlib
import socket
import sys
import threading
import time

CHUNK = 64 * 1024


def body_block(i):
    return bytes(((i * 131 + j) & 0xFF for j in range(CHUNK)))


def writer(sock, total, progress, sent_hash):
    req_hdr = b"GET http://stream.test/big HTTP/1.1\r\nHost: stream.test\r\n\r\n"
    res_hdr = (b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
               b"Content-Length: %d\r\n\r\n" % total)
    head = (b"RESPMOD icap://127.0.0.1/%s ICAP/1.0\r\nHost: 127.0.0.1\r\n"
            b"Encapsulated: req-hdr=0, res-hdr=%d, res-body=%d\r\n\r\n"
            % (SERVICE.encode(), len(req_hdr), len(req_hdr) + len(res_hdr)))
    sock.sendall(head + req_hdr + res_hdr)
    blocks = [body_block(i) for i in range(16)]
    sent = 0
    i = 0
    while sent < total:
        data = blocks[i % 16][:total - sent]
        sock.sendall(b"%x\r\n" % len(data) + data + b"\r\n")
        sent_hash.update(data)
        sent += len(data)
        progress[0] = sent
        i += 1
    sock.sendall(b"0\r\n\r\n")
    progress[1] = True


def read_answer(sock):
    buf = b""
    deadline = time.time() + 60
    while b"\r\n\r\n" not in buf:
        buf += recv(sock, deadline)
    icap_head, buf = buf.split(b"\r\n\r\n", 1)
    if not icap_head.startswith(b"ICAP/1.0 200"):
        sys.exit("icap_slow_reader: unexpected answer: %r" % icap_head[:80])
    while b"\r\n\r\n" not in buf:  # the encapsulated HTTP response header
        buf += recv(sock, deadline)
    buf = buf.split(b"\r\n\r\n", 1)[1]
    digest, size = hashlib.sha256(), 0
    while True:
        while b"\r\n" not in buf:
            buf += recv(sock, deadline)
        line, buf = buf.split(b"\r\n", 1)
        n = int(line.split(b";")[0], 16)
        while len(buf) < n + 2:
            buf += recv(sock, deadline)
        digest.update(buf[:n])
        size += n
        buf = buf[n + 2:]
        if n == 0:
            return size, digest.hexdigest()


def recv(sock, deadline):
    if time.time() > deadline:
        print("icap_slow_reader: timeout", file=sys.stderr)
        sys.exit(2)
    data = sock.recv(1 << 20)
    if not data:
        sys.exit("icap_slow_reader: connection closed early")
    return data


def main():
    global SERVICE
    port, SERVICE, megabytes = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    total = megabytes << 20
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    progress, sent_hash = [0, False], hashlib.sha256()
    t = threading.Thread(target=writer, args=(sock, total, progress, sent_hash), daemon=True)
    t.start()
    last, still_since = -1, time.time()
    while not progress[1] and time.time() - still_since < 2:
        time.sleep(0.1)
        if progress[0] != last:
            last, still_since = progress[0], time.time()
    print("stalled_at=%s" % ("none" if progress[1] else progress[0]), flush=True)
    size, got = read_answer(sock)
    t.join(10)
    print("received=%d sha256=%s sent_sha256=%s" % (size, got, sent_hash.hexdigest()))


if __name__ == "__main__":
    main()
