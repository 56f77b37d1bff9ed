#!/usr/bin/python3
"""A hostile acquirer for the end-to-end tests: it forwards to the real one, or answers as
the file MODE_FILE says at each request: 500, hang, close, garbage, replay (the first answer
it forwarded, to every later request), resign (the real answer signed again under another
key, through RESIGN), 413 (any request over 2,000 bytes), 413all (any over 400 bytes:
every request that carries a row), proxy (forward, and keep the first
answer for replay). Usage: fake-acquirer.py REAL_URL MODE_FILE PORT_FILE RESIGN."""
import http.server, socket, subprocess, sys, time, urllib.error, urllib.request

real, mode_file, port_file, resign_tool = sys.argv[1:5]
kept = {}


def forward(method, path, body):
    req = urllib.request.Request(real + path, data=body, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.reply(*forward("GET", self.path, None))

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        mode = open(mode_file).read().strip()
        if mode == "500":
            return self.reply(500, b'{"error":"the database is on fire"}')
        if mode == "hang":
            time.sleep(4)
            return self.reply(500, b"")
        if mode == "close":
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        if mode == "garbage":
            return self.reply(200, b"<html>Welcome to the hotel wifi</html>")
        if (mode == "413" and len(body) > 2000) or (mode == "413all" and len(body) > 400):
            return self.reply(413, b'{"error":"too large"}')
        if mode == "replay" and self.path in kept:
            return self.reply(200, kept[self.path])
        status, answer = forward("POST", self.path, body)
        if status == 200 and mode == "resign":
            answer = subprocess.run([resign_tool, "--resign", answer.decode().strip()],
                                    capture_output=True, check=True).stdout
        if status == 200 and mode in ("proxy", "replay"):
            kept.setdefault(self.path, answer)
        self.reply(status, answer)


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
import os
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
