#!/usr/bin/python3
"""origin.py: the end-to-end lab's TLS origin server (Python 3 stdlib only).

    origin.py --pki DIR --port N [--plain-port N] [--bind 127.0.0.1]

Serves every name of DIR/origin.map by SNI on one TLS port (leaf + chain from
DIR/leaf/NAME.chain.pem; no SNI -> the "-" entry), and the same endpoints over plain HTTP
on --plain-port when given. One log line per request on stderr:
    origin: sni=NAME cert=LEAF client=IP "REQUEST LINE" STATUS LENGTH
Endpoints (every response carries X-Origin-Cert: LEAF and, except /cacheable, Cache-Control: no-store):
    /  /page.html       small HTML page
    /echo               text/plain: the request line and headers exactly as received
    /bytes?n=N[&seed=S] N deterministic binary bytes; header X-Body-SHA256
    /bytes-sha256?n=N[&seed=S]   the sha256 hex of what /bytes would send
    /post  (POST/PUT)   reads the body, answers "sha256=HEX length=N"
    /cacheable[/ANY]    the small HTML page with Cache-Control: public, max-age=600
    /exe                a small Windows PE file (MZ header) served as text/plain
    /gzip.html          gzip-encoded HTML (Content-Encoding: gzip)
    /status/NNN         an empty response with that status
Thread-per-connection; HTTP/1.1 keep-alive; handshakes happen in the connection thread.
"""
import argparse
import gzip
import hashlib
import http.server
import os
import socket
import ssl
import sys
import threading
import urllib.parse

BLOCK = b''.join(hashlib.sha256(b'lab-block-%d' % i).digest() for i in range(2048))  # 64 KiB
PAGE = (b'<!DOCTYPE html>\n<html><head><title>lab origin</title></head>\n'
        b'<body><h1>squid-inspect lab origin</h1><p>Hello from the origin.</p></body></html>\n')
MAX_BYTES = 1 << 31


def pattern(n, seed):
    """Yield n deterministic bytes in chunks: BLOCK rotated by seed, repeated."""
    off = (seed * 4099) % len(BLOCK)
    block = BLOCK[off:] + BLOCK[:off]
    while n > 0:
        chunk = block[:min(n, len(block))]
        n -= len(chunk)
        yield chunk


def pattern_sha256(n, seed):
    h = hashlib.sha256()
    for chunk in pattern(n, seed):
        h.update(chunk)
    return h.hexdigest()


def make_pe():
    """A minimal PE32 header: enough for file-type detection (libmagic says PE32)."""
    pe = bytearray(1024)
    pe[0:2] = b'MZ'
    pe[0x3c:0x40] = (0x80).to_bytes(4, 'little')
    pe[0x80:0x84] = b'PE\0\0'
    coff = 0x84
    pe[coff:coff + 2] = (0x14c).to_bytes(2, 'little')          # i386
    pe[coff + 2:coff + 4] = (1).to_bytes(2, 'little')          # one section
    pe[coff + 16:coff + 18] = (0xe0).to_bytes(2, 'little')     # optional header size
    pe[coff + 18:coff + 20] = (0x0102).to_bytes(2, 'little')   # executable, 32-bit
    opt = coff + 20
    pe[opt:opt + 2] = (0x10b).to_bytes(2, 'little')            # PE32
    pe[opt + 68:opt + 70] = (2).to_bytes(2, 'little')          # subsystem: GUI
    pe[0x200:0x200 + 32] = b'This is a lab test executable.\0\0'
    return bytes(pe)


PE = make_pe()
GZ_PAGE = gzip.compress(PAGE.replace(b'Hello', b'Hello (gzip)'), mtime=0)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'lab-origin/1'
    timeout = 60

    def handle(self):
        self.sni = '-'
        self.leaf = '-'
        try:
            if isinstance(self.request, ssl.SSLSocket):
                self.request.settimeout(30)
                try:
                    self.request.do_handshake()
                except ssl.SSLEOFError:
                    return      # a port probe (lab_wait_port): nothing to log
                self.request.settimeout(self.timeout)
                self.sni = getattr(self.request, 'lab_sni', None) or '-'
                self.leaf = getattr(self.request, 'lab_leaf', None) or self.server.default_leaf
            super().handle()
        except (OSError, ssl.SSLError) as e:
            sni = getattr(self.request, 'lab_sni', None) or self.sni
            sys.stderr.write('origin: sni=%s client=%s connection error: %s\n' % (
                sni, self.client_address[0], e))

    def log_request(self, code='-', size='-'):
        sys.stderr.write('origin: sni=%s cert=%s client=%s "%s" %s %s\n' % (
            self.sni, self.leaf, self.client_address[0], self.requestline, code, size))

    def log_message(self, fmt, *args):
        sys.stderr.write('origin: ' + (fmt % args) + '\n')

    def reply(self, code, body=b'', ctype='text/plain', extra=(), cache='no-store'):
        self.send_response(code)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(body)))
        self.send_header('Cache-Control', cache)
        self.send_header('X-Origin-Cert', self.leaf)
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(body)

    def query(self):
        url = urllib.parse.urlsplit(self.path)
        return url.path, urllib.parse.parse_qs(url.query)

    def read_body(self):
        h = hashlib.sha256()
        total = 0
        if self.headers.get('Transfer-Encoding', '').lower() == 'chunked':
            while True:
                size = int(self.rfile.readline().split(b';')[0].strip() or b'0', 16)
                if size == 0:
                    while self.rfile.readline() not in (b'\r\n', b'\n', b''):
                        pass
                    break
                left = size
                while left:
                    chunk = self.rfile.read(min(left, 65536))
                    if not chunk:
                        raise OSError('body truncated')
                    h.update(chunk)
                    left -= len(chunk)
                total += size
                self.rfile.readline()
        else:
            left = int(self.headers.get('Content-Length', '0'))
            while left:
                chunk = self.rfile.read(min(left, 65536))
                if not chunk:
                    raise OSError('body truncated')
                h.update(chunk)
                total += len(chunk)
                left -= len(chunk)
        return h.hexdigest(), total

    def do_GET(self):
        path, q = self.query()
        try:
            n = min(int(q.get('n', ['0'])[0]), MAX_BYTES)
            seed = int(q.get('seed', ['0'])[0])
        except ValueError:
            return self.reply(400, b'bad n or seed\n')
        if path in ('/', '/page.html'):
            self.reply(200, PAGE, 'text/html; charset=utf-8')
        elif path == '/echo':
            text = self.requestline + '\r\n' + ''.join(
                '%s: %s\r\n' % (k, v) for k, v in self.headers.items())
            self.reply(200, text.encode('utf-8', 'replace'))
        elif path == '/bytes':
            # tail=TEXT: the body's last bytes are TEXT (n bytes in all)
            tail = q.get('tail', [''])[0].encode()[:n]
            h = hashlib.sha256()
            for chunk in pattern(n - len(tail), seed):
                h.update(chunk)
            h.update(tail)
            self.send_response(200)
            self.send_header('Content-Type', 'application/octet-stream')
            self.send_header('Content-Length', str(n))
            self.send_header('Cache-Control', 'no-store')
            self.send_header('X-Origin-Cert', self.leaf)
            self.send_header('X-Body-SHA256', h.hexdigest())
            self.end_headers()
            if self.command != 'HEAD':
                for chunk in pattern(n - len(tail), seed):
                    self.wfile.write(chunk)
                self.wfile.write(tail)
        elif path == '/bytes-sha256':
            self.reply(200, (pattern_sha256(n, seed) + '\n').encode())
        elif path == '/cacheable' or path.startswith('/cacheable/'):
            self.reply(200, PAGE, 'text/html; charset=utf-8', cache='public, max-age=600')
        elif path == '/exe':
            self.reply(200, PE, 'text/plain')
        elif path == '/gzip.html':
            self.reply(200, GZ_PAGE, 'text/html; charset=utf-8', [('Content-Encoding', 'gzip')])
        elif path.startswith('/status/') and path[8:].isdigit() and 200 <= int(path[8:]) <= 599:
            self.reply(int(path[8:]))
        else:
            self.reply(404, b'not found\n')

    do_HEAD = do_GET

    def do_POST(self):
        try:
            digest, total = self.read_body()
        except (ValueError, OSError) as e:
            self.close_connection = True
            return self.reply(400, ('bad body: %s\n' % e).encode())
        self.reply(200, ('sha256=%s length=%d\n' % (digest, total)).encode())

    do_PUT = do_POST


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    tls = None
    default_leaf = '-'

    def get_request(self):
        sock, addr = self.socket.accept()
        if self.tls is not None:
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr


def load_contexts(pki):
    """Map server name (or '*.suffix', or '-') -> (leaf, SSLContext)."""
    contexts = {}
    with open(os.path.join(pki, 'origin.map')) as f:
        for line in f:
            parts = line.split()
            if len(parts) != 2 or parts[0].startswith('#'):
                continue
            name, leaf = parts
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.set_alpn_protocols(['http/1.1'])
            ctx.load_cert_chain(os.path.join(pki, 'leaf', leaf + '.chain.pem'),
                                os.path.join(pki, 'leaf', leaf + '.key'))
            contexts[name.lower()] = (leaf, ctx)
    return contexts


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--pki', required=True)
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--plain-port', type=int)
    ap.add_argument('--bind', default='127.0.0.1')
    a = ap.parse_args()
    contexts = load_contexts(a.pki)
    default_leaf, default_ctx = contexts['-']

    def lookup(name):
        if name is None:
            return contexts['-']
        name = name.lower()
        if name in contexts:
            return contexts[name]
        wild = '*.' + name.partition('.')[2]
        return contexts.get(wild, contexts['-'])

    def on_sni(sslsock, name, _ctx):
        leaf, ctx = lookup(name)
        sslsock.lab_sni = name
        sslsock.lab_leaf = leaf
        sslsock.context = ctx
        return None

    # The listening context only dispatches: the real one is swapped in by SNI.
    front = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    front.load_cert_chain(os.path.join(a.pki, 'leaf', default_leaf + '.chain.pem'),
                          os.path.join(a.pki, 'leaf', default_leaf + '.key'))
    front.set_alpn_protocols(['http/1.1'])
    front.sni_callback = on_sni
    servers = [Server((a.bind, a.port), Handler)]
    servers[0].tls = front
    servers[0].default_leaf = default_leaf
    if a.plain_port:
        servers.append(Server((a.bind, a.plain_port), Handler))
    for s in servers[1:]:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    sys.stderr.write('origin: ready tls=%s:%d plain=%s\n' % (a.bind, a.port, a.plain_port or '-'))
    sys.stderr.flush()
    try:
        servers[0].serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == '__main__':
    socket.setdefaulttimeout(None)
    main()
