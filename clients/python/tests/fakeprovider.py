"""A fake LLM provider on loopback: answers with the status and headers a test sets, and streams
its body in two chunks with a gate between them, so a test decides when a stream ends (nothing
here sleeps to let time pass)."""

import http.server
import json
import threading


class FakeProvider:
    def __init__(self):
        self.status = 200
        self.headers = {}
        self.gate = None  # a threading.Event: the second chunk waits for it
        self.first_chunk_sent = threading.Event()
        self.requests = []
        provider = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("content-length", "0"))
                provider.requests.append(json.loads(self.rfile.read(length) or b"{}"))
                self.send_response(provider.status)
                for name, value in provider.headers.items():
                    self.send_header(name, value)
                self.send_header("content-type", "text/event-stream")
                self.send_header("transfer-encoding", "chunked")
                self.end_headers()
                self._chunk(b"data: {\"delta\": \"Hel\"}\n\n")
                provider.first_chunk_sent.set()
                if provider.gate is not None:
                    provider.gate.wait(120)
                self._chunk(b"data: [DONE]\n\n")
                self._chunk(b"")

            def _chunk(self, data):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        if self.gate is not None:
            self.gate.set()
        self.server.shutdown()
        self.server.server_close()
