#!/usr/bin/python3
"""faultd.py: a misbehaving HTTP server for the fault-injection tests (127.0.0.1 only).

    faultd.py --port N --mode MODE [--file F] [--delay S] [--size BYTES]

MODE:
  garbage    200, Content-Type application/ocsp-response, --size random bytes (default 300)
  slow       waits --delay seconds, then serves --file (any path) as application/pkix-crl
  huge       200 with Content-Length --size, streams that many bytes (a DER SEQUENCE header
             announcing them, then zeros) as fast as the client reads
  blackhole  accepts, reads the request, never answers (until the client gives up)
  close      accepts, reads what the client sends first (a TLS ClientHello) and closes
One log line per request on stderr: faultd: MODE PATH BYTES-SENT
"""
import argparse
import http.server
import os
import sys
import time


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.0'
    timeout = 120

    def log_message(self, fmt, *args):
        pass

    def note(self, sent):
        sys.stderr.write('faultd: %s %s %d\n' % (self.server.cfg.mode, getattr(self, 'path', '-')[:60], sent))

    def head(self, ctype, length):
        self.send_response(200)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(length))
        self.end_headers()

    def handle_any(self):
        cfg = self.server.cfg
        n = int(self.headers.get('Content-Length') or 0)
        if n:
            self.rfile.read(min(n, 1 << 20))
        sent = 0
        try:
            if cfg.mode == 'garbage':
                body = os.urandom(cfg.size or 300)
                self.head('application/ocsp-response', len(body))
                self.wfile.write(body)
                sent = len(body)
            elif cfg.mode == 'slow':
                time.sleep(cfg.delay)
                with open(cfg.file, 'rb') as f:
                    body = f.read()
                self.head('application/pkix-crl', len(body))
                self.wfile.write(body)
                sent = len(body)
            elif cfg.mode == 'huge':
                total = cfg.size or (64 << 20)
                self.head('application/pkix-crl', total)
                inner = total - 6
                hdr = bytes([0x30, 0x84]) + inner.to_bytes(4, 'big')
                self.wfile.write(hdr)
                sent = len(hdr)
                chunk = bytes(65536)
                while sent < total:
                    k = min(len(chunk), total - sent)
                    self.wfile.write(chunk[:k])
                    sent += k
            elif cfg.mode == 'blackhole':
                time.sleep(cfg.delay or 600)
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.note(sent)

    do_GET = handle_any
    do_POST = handle_any

    def handle(self):
        if self.server.cfg.mode == 'close':
            self.connection.settimeout(5)
            try:
                self.connection.recv(16384)
            except OSError:
                pass
            self.note(0)
            return
        super().handle()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--mode', required=True, choices=['garbage', 'slow', 'huge', 'blackhole', 'close'])
    ap.add_argument('--file')
    ap.add_argument('--delay', type=float, default=0)
    ap.add_argument('--size', type=int, default=0)
    cfg = ap.parse_args()
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', cfg.port), Handler)
    srv.daemon_threads = True
    srv.cfg = cfg
    sys.stderr.write('faultd: %s on 127.0.0.1:%d\n' % (cfg.mode, cfg.port))
    srv.serve_forever()


if __name__ == '__main__':
    main()
