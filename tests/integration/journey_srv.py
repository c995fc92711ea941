#!/usr/bin/env python3
"""journey_srv.py - a login/token/API server for ptest's journey test (ptest_journey.sh).

usage: journey_srv.py PORT --users FILE.csv [--no-token USER]...

It answers correctly only when a user's flow is right:
  POST /login   body "user=U&password=P" (a row of FILE.csv, columns user,password): 200 with
                {"token": "...", "csrf": "..."}, the header X-Request-Id and a session cookie
                (Set-Cookie: sid=...; Path=/; HttpOnly) plus a decoy cookie for /other;
                a --no-token user gets 200 without "token" (the client's extraction fails);
                a wrong password 401.
  GET /api/me   needs Authorization: Bearer <the token>, the cookie sid=<its session> and
                X-Csrf: <its csrf> and X-Req: <the X-Request-Id of its login>; 200 with
                {"user": U}, else 401 (and the reason counted).
  GET /stats    {"logins": {U: n}, "api_ok": {U: n}, "bad": {reason: n}}
Counts are per user (= per CSV row). HTTP/1.1 with keep-alive, a thread per connection.
"""
import argparse
import csv
import itertools
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

LOCK = threading.Lock()
SEQ = itertools.count(1)
STATS = {"logins": {}, "api_ok": {}, "bad": {}}
SESSIONS = {}  # token -> (user, sid, csrf, rid)


def bump(kind, key):
    with LOCK:
        STATS[kind][key] = STATS[kind].get(key, 0) + 1


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def reply(self, code, obj, headers=()):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode("utf-8", "replace")
        if self.path != "/login":
            return self.reply(404, {})
        form = parse_qs(body, keep_blank_values=True)
        user = form.get("user", [""])[0]
        password = form.get("password", [""])[0]
        if USERS.get(user) != password:
            bump("bad", "login")
            return self.reply(401, {"error": "bad credentials"})
        k = next(SEQ)
        token, sid, csrf, rid = "t%d-%s" % (k, user), "s%d" % k, "c%d" % k, "r%d" % k
        with LOCK:
            SESSIONS[token] = (user, sid, csrf, rid)
        bump("logins", user)
        out = {"csrf": csrf, "user": user}
        if user not in NO_TOKEN:
            out["token"] = token
        self.reply(200, out, [("Set-Cookie", "sid=%s; Path=/; HttpOnly" % sid),
                              ("Set-Cookie", "decoy=1; Path=/other"),
                              ("X-Request-Id", rid)])

    def do_GET(self):
        if self.path == "/stats":
            with LOCK:
                return self.reply(200, STATS)
        if self.path != "/api/me":
            return self.reply(404, {})
        auth = self.headers.get("Authorization", "")
        token = auth[len("Bearer "):] if auth.startswith("Bearer ") else ""
        with LOCK:
            s = SESSIONS.get(token)
        cookies = dict(c.strip().split("=", 1) for c in (self.headers.get("Cookie") or "").split(";") if "=" in c)
        why = None
        if not s:
            why = "token"
        elif cookies.get("sid") != s[1]:
            why = "cookie"
        elif "decoy" in cookies:
            why = "path"
        elif self.headers.get("X-Csrf") != s[2]:
            why = "csrf"
        elif self.headers.get("X-Req") != s[3]:
            why = "header"
        if why:
            bump("bad", why)
            return self.reply(401, {"error": why})
        bump("api_ok", s[0])
        self.reply(200, {"user": s[0]})

    def log_message(self, *args):
        pass


ap = argparse.ArgumentParser()
ap.add_argument("port", type=int)
ap.add_argument("--users", required=True)
ap.add_argument("--no-token", action="append", default=[])
a = ap.parse_args()
with open(a.users, newline="") as f:
    USERS = {r["user"]: r["password"] for r in csv.DictReader(f)}
NO_TOKEN = set(a.no_token)
ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer(("127.0.0.1", a.port), Handler).serve_forever()
