#!/usr/bin/python3
"""https_load.py: concurrent HTTPS clients through an explicit proxy (CONNECT), for a fixed
time, mixing traffic classes; prints one JSON object with the figures. 127.0.0.1 only.

    https_load.py --proxy-port P --origin-port O --inspect-ca F --origin-ca F
                  [--clients 16] [--seconds 60] [--new-conn 0.25] [--expect-stock]

Classes (round robin per client, so the mix is fixed):
  bypassed   https://bypass.test/page.html     spliced: the origin's own certificate, 200
  inspected  https://good.test/page.html       bumped, allowed by the policy, 200
  blocked    https://www.good.test/page.html   bumped, blocked by the policy, 403
  modified   https://a.wild.test/echo          bumped, the policy adds X-Bench-Modified: 1,
                                               which the origin echoes back, 200
With --expect-stock (Squid with the stock helpers and c-icap's echo service), blocked is 200
and modified carries no header: the same traffic, nothing enforced.
Each client keeps its tunnel (keep-alive) and opens a new one with probability --new-conn,
so certificate generation and validation stay in the mix. A request is an error when its
status or body is not the expected one, or it raised (timeout 30 s). A request that finds its
kept-alive tunnel closed by the proxy is retried once on a new one, as browsers do, and
counted in retried_on_closed_keepalive (not an error).
"""
import argparse
import http.client
import json
import random
import socket
import ssl
import threading
import time

CLASSES = [
    ('bypassed', 'bypass.test', '/page.html'),
    ('inspected', 'good.test', '/page.html'),
    ('blocked', 'www.good.test', '/page.html'),
    ('modified', 'a.wild.test', '/echo'),
]


class Client(threading.Thread):
    def __init__(self, idx, cfg, stop_at, out):
        super().__init__(daemon=True)
        self.idx, self.cfg, self.stop_at, self.out = idx, cfg, stop_at, out
        self.conns = {}
        self.retried = 0
        self.rng = random.Random(idx)
        self.ctx_inspect = ssl.create_default_context(cafile=cfg.inspect_ca)
        self.ctx_origin = ssl.create_default_context(cafile=cfg.origin_ca)

    def conn(self, host, fresh):
        c = self.conns.get(host)
        if c is not None and fresh:
            c.close()
            c = None
        if c is None:
            ctx = self.ctx_origin if host == 'bypass.test' else self.ctx_inspect
            c = http.client.HTTPSConnection('127.0.0.1', self.cfg.proxy_port, timeout=30, context=ctx)
            c.set_tunnel(host, self.cfg.origin_port)
            self.conns[host] = c
        return c

    def expected(self, name, status, body):
        stock = self.cfg.expect_stock
        if name == 'blocked':
            return status == (200 if stock else 403)
        if status != 200:
            return False
        if name == 'modified':
            has = b'x-bench-modified: 1' in body.lower()
            return has != stock
        return True

    def run(self):
        i = self.idx
        while time.monotonic() < self.stop_at:
            name, host, path = CLASSES[i % len(CLASSES)]
            i += 1
            t0 = time.monotonic()
            ok, why, retried = False, '', False
            fresh = self.rng.random() < self.cfg.new_conn
            for attempt in (1, 2):
                reused = host in self.conns and not fresh
                try:
                    c = self.conn(host, fresh)
                    c.request('GET', path, headers={'Host': '%s:%d' % (host, self.cfg.origin_port)})
                    r = c.getresponse()
                    body = r.read()
                    ok = self.expected(name, r.status, body)
                    why = '' if ok else 'HTTP %d' % r.status
                    if r.will_close:
                        c.close()
                        self.conns.pop(host, None)
                    break
                except (OSError, http.client.HTTPException, ssl.SSLError) as e:
                    why = type(e).__name__ + ': ' + str(e)[:80]
                    old = self.conns.pop(host, None)
                    if old is not None:
                        old.close()
                    # a kept-alive connection the proxy closed in between: retry once on a
                    # new one, as browsers do for idempotent requests (counted as retried)
                    if attempt == 1 and reused and isinstance(
                            e, (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)):
                        retried, fresh = True, True
                        continue
                    break
            self.retried += retried
            self.out.append((name, ok, time.monotonic() - t0, why))


def pct(sorted_vals, p):
    if not sorted_vals:
        return 0.0
    k = min(len(sorted_vals) - 1, int(round(p / 100.0 * (len(sorted_vals) - 1))))
    return sorted_vals[k]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--proxy-port', type=int, required=True)
    ap.add_argument('--origin-port', type=int, required=True)
    ap.add_argument('--inspect-ca', required=True)
    ap.add_argument('--origin-ca', required=True)
    ap.add_argument('--clients', type=int, default=16)
    ap.add_argument('--seconds', type=float, default=60)
    ap.add_argument('--new-conn', type=float, default=0.25)
    ap.add_argument('--expect-stock', action='store_true')
    cfg = ap.parse_args()
    socket.setdefaulttimeout(30)
    out = []
    t_start = time.monotonic()
    stop_at = t_start + cfg.seconds
    threads = [Client(i, cfg, stop_at, out) for i in range(cfg.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(cfg.seconds + 60)
    elapsed = time.monotonic() - t_start
    lat = sorted(x[2] for x in out)
    per = {}
    for name, ok, dt, why in out:
        d = per.setdefault(name, {'requests': 0, 'errors': 0, 'first_error': ''})
        d['requests'] += 1
        if not ok:
            d['errors'] += 1
            d['first_error'] = d['first_error'] or why
    res = {
        'clients': cfg.clients, 'seconds': round(elapsed, 1), 'requests': len(out),
        'errors': sum(1 for x in out if not x[1]),
        'requests_per_s': round(len(out) / elapsed, 1) if elapsed else 0,
        'p50_ms': round(pct(lat, 50) * 1000, 1), 'p99_ms': round(pct(lat, 99) * 1000, 1),
        'max_ms': round((lat[-1] if lat else 0) * 1000, 1),
        'hung_clients': sum(1 for t in threads if t.is_alive()),
        'retried_on_closed_keepalive': sum(t.retried for t in threads),
        'per_class': per,
    }
    print(json.dumps(res, sort_keys=True))


if __name__ == '__main__':
    main()
