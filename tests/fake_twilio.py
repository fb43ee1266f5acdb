"""A local fake of the Twilio REST API's Messages resource, for out-of-band send tests.

It checks HTTP Basic auth like Twilio (account SID : auth token), records every message, and
can be told to fail the next N requests with a 500 to exercise retries.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class FakeTwilio:
    def __init__(self, account_sid: str, auth_token: str):
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.messages: list[dict[str, str]] = []
        self.rejected_auth = 0
        self.fail_next = 0
        self.received = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args):  # keep test output quiet
                return

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                expected = "Basic " + base64.b64encode(
                    f"{fake.account_sid}:{fake.auth_token}".encode()).decode()
                path_ok = re.fullmatch(rf"/2010-04-01/Accounts/{fake.account_sid}/Messages.json",
                                       self.path)
                if self.headers.get("Authorization") != expected or not path_ok:
                    fake.rejected_auth += 1
                    return self._reply(401, {"code": 20003, "message": "Authenticate"})
                if fake.fail_next > 0:
                    fake.fail_next -= 1
                    return self._reply(500, {"code": 20500, "message": "Internal error"})
                form = {k: v[0] for k, v in parse_qs(body).items()}
                sid = "SM" + uuid.uuid4().hex
                fake.messages.append({**form, "sid": sid})
                fake.received.set()
                return self._reply(201, {"sid": sid, "status": "queued",
                                         "account_sid": fake.account_sid, "to": form.get("To"),
                                         "from": form.get("From"), "body": form.get("Body")})

            def _reply(self, code, payload):
                data = json.dumps(payload).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FakeTwilio:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._server.shutdown()
        self._server.server_close()
