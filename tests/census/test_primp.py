import http.server
import threading

import primp


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b'{"path": "%s"}' % self.path.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_get_from_a_local_server():
    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = primp.Client()
        r = client.get(f"http://127.0.0.1:{server.server_port}/hello", params={"q": "1"})
        assert r.status_code == 200
        assert r.json() == {"path": "/hello?q=1"}
    finally:
        server.shutdown()
