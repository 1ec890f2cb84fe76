"""A tiny HTTP service that reproduces a Python memory leak: an unbounded functools.lru_cache.

Every request renders a report for a new id (the request number, as a per-user or per-query key
would be) through ``render``, cached with ``lru_cache(maxsize=None)``: nothing is ever evicted,
so one ~32 KiB string stays behind per request. With ``--healthy`` the cache is bounded
(``maxsize=256``), the fixed twin. Each request also builds short-lived objects with reference
cycles so the cyclic garbage collector runs. The server is single-threaded (one OS thread).

Only used to record traces for the detection benchmark (see src/test/scripts/record-service.sh):
    python3 service.py --port 18083 [--healthy]
"""
import argparse
import functools
import hashlib
import itertools
from http.server import BaseHTTPRequestHandler, HTTPServer

REPORT_LINES = 512


def build_render(maxsize):
    @functools.lru_cache(maxsize=maxsize)
    def render(report_id):
        digest = hashlib.sha256(str(report_id).encode()).hexdigest()
        return "\n".join(f"{report_id:08d} {line:04d} {digest}" for line in range(REPORT_LINES))

    return render


def short_lived_garbage():
    nodes = [{"index": i, "payload": "x" * 64} for i in range(2000)]
    for a, b in zip(nodes, nodes[1:]):
        a["next"], b["prev"] = b, a
    return len(nodes)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=18083)
    parser.add_argument("--healthy", action="store_true", help="bound the cache to 256 reports")
    args = parser.parse_args()
    render = build_render(256 if args.healthy else None)
    request_ids = itertools.count(1)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            report = render(next(request_ids))
            short_lived_garbage()
            body = f"ok {len(report)} cached {render.cache_info().currsize}\n".encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, fmt, *log_args):
            pass

    print(f"listening on 127.0.0.1:{args.port} healthy={args.healthy}", flush=True)
    HTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
