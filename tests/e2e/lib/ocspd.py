#!/usr/bin/python3
"""ocspd.py: the lab's OCSP responder: HTTP on 127.0.0.1 in front of `openssl ocsp`.

    ocspd.py --pki DIR --port N [--bind 127.0.0.1] [--delay-file FILE] [--openssl PATH]

Each request (POST with an application/ocsp-request body, or GET /<base64 request>) is
answered by one run of the real OpenSSL responder:
    openssl ocsp -index DIR/int/index.txt -CA DIR/int/ca.crt -rsigner DIR/ocsp/ocsp.crt
                 -rkey DIR/ocsp/ocsp.key -reqin REQ -respout RESP -nmin 60
Why not `openssl ocsp -port`: in OpenSSL 3.0 it listens on every interface (the lab only
uses loopback) and answers the first query after a revocation with the old status; here
index.txt is read afresh for every request, so `openssl ca -revoke` takes effect at once.
If --delay-file exists, its content (seconds, float) is slept before answering: a slow
responder for timeout tests. One log line per request on stderr:
    ocspd: client=IP METHOD PATH STATUS BYTES
"""
import argparse
import base64
import http.server
import os
import subprocess
import sys
import tempfile
import time
import urllib.parse


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'lab-ocspd/1'
    timeout = 30

    def log_request(self, code='-', size='-'):
        sys.stderr.write('ocspd: client=%s %s %s %s %s\n' % (
            self.client_address[0], self.command, self.path[:80], code, size))

    def log_message(self, fmt, *args):
        sys.stderr.write('ocspd: ' + (fmt % args) + '\n')

    def reply(self, code, body, ctype='application/ocsp-response'):
        self.send_response(code, size=len(body))
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_response(self, code, message=None, size='-'):
        self.log_request(code, size)
        self.send_response_only(code, message)
        self.send_header('Server', self.version_string())
        self.send_header('Date', self.date_time_string())

    def answer(self, der):
        cfg = self.server.cfg
        delay = 0.0
        if cfg.delay_file and os.path.exists(cfg.delay_file):
            try:
                with open(cfg.delay_file) as f:
                    delay = float(f.read().strip() or '0')
            except (OSError, ValueError):
                delay = 0.0
        if delay > 0:
            time.sleep(min(delay, 600))
        pki = cfg.pki
        with tempfile.TemporaryDirectory(prefix='ocspd.') as tmp:
            req, resp = os.path.join(tmp, 'req.der'), os.path.join(tmp, 'resp.der')
            with open(req, 'wb') as f:
                f.write(der)
            r = subprocess.run([cfg.openssl, 'ocsp', '-index', os.path.join(pki, 'int/index.txt'),
                                '-CA', os.path.join(pki, 'int/ca.crt'),
                                '-rsigner', os.path.join(pki, 'ocsp/ocsp.crt'),
                                '-rkey', os.path.join(pki, 'ocsp/ocsp.key'),
                                '-reqin', req, '-respout', resp, '-nmin', '60'],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=20)
            if r.returncode != 0 or not os.path.exists(resp):
                sys.stderr.write('ocspd: openssl ocsp failed: %s\n' %
                                 r.stderr.decode(errors='replace').strip().replace('\n', ' | '))
                return self.reply(400, b'bad OCSP request\n', 'text/plain')
            with open(resp, 'rb') as f:
                self.reply(200, f.read())

    def do_POST(self):
        try:
            n = int(self.headers.get('Content-Length', '0'))
        except ValueError:
            n = -1
        if n <= 0 or n > 65536:
            self.close_connection = True
            return self.reply(400, b'need a Content-Length body\n', 'text/plain')
        self.answer(self.rfile.read(n))

    def do_GET(self):
        try:
            der = base64.b64decode(urllib.parse.unquote(self.path.lstrip('/')), validate=True)
        except ValueError:
            return self.reply(400, b'bad base64 request\n', 'text/plain')
        self.answer(der)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--pki', required=True)
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--bind', default='127.0.0.1')
    ap.add_argument('--delay-file')
    ap.add_argument('--openssl', default='openssl')
    cfg = ap.parse_args()
    srv = http.server.ThreadingHTTPServer((cfg.bind, cfg.port), Handler)
    srv.daemon_threads = True
    srv.cfg = cfg
    sys.stderr.write('ocspd: ready %s:%d\n' % (cfg.bind, cfg.port))
    sys.stderr.flush()
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == '__main__':
    main()
