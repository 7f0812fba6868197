#!/usr/bin/python3
"""tests/fuzz/corpus.py BUILD — write the fuzzers' seed corpora.

Each harness in tests/fuzz/ starts from tests/fuzz/corpus/NAME/, and a
fuzzer gets deep fast only from seeds that already pass the parser's
first checks.  So the seeds are real traffic wherever hearth can make it:

  http    what the bundled bootstraps send the Runtime API (each run
          against a stand-in for the agent that records the connection),
          and what the host's agent_request() sends an agent (fuzz-seeds);
  reply   what a real agent answers (a sandbox started with BUILD/hearth),
          and the other answers agent.c writes;
  stream  a real agent's GET /logs?follow=1 and /stats?follow=1;
  code    bundles bundle_build() makes of real trees (fuzz-seeds);

and then the edge cases each parser's caps and rules are about, each in a
file named for what it tests.  Run by `make fuzz-corpus` (it needs the
build, its images and a working ns sandbox); the output is committed.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(HERE, "corpus")
PREFIX = "/2018-06-01/runtime"

HEADERS_MAX = 64 * 1024
REPLY_MAX = 6 * 1024 * 1024 + 1024 * 1024 + HEADERS_MAX
LOG_MAX = 1024 * 1024
STREAM_LINE_MAX = 128 * 1024
STREAM_BUF_MAX = 1024 * 1024


def seed(kind, name, data):
    """Write one seed, corpus/KIND/NAME."""
    if isinstance(data, str):
        data = data.encode("latin-1")
    os.makedirs(os.path.join(OUT, kind), exist_ok=True)
    with open(os.path.join(OUT, kind, name), "wb") as f:
        f.write(data)


def request(method, path, body=b"", headers=()):
    """A request as the bootstraps spell one."""
    head = "%s %s HTTP/1.1\r\nHost: runtime\r\nContent-Length: %d\r\n" % (
        method, path, len(body))
    for k, v in headers:
        head += "%s: %s\r\n" % (k, v)
    return head.encode("latin-1") + b"\r\n" + body


def reply(code, reason, body=b"", extra=""):
    """An answer as agent.c's conn_reply spells one."""
    return ("HTTP/1.1 %d %s\r\nContent-Length: %d\r\n%s\r\n" % (
        code, reason, len(body), extra)).encode() + body


def chunked(head, *chunks, end=b"0\r\n\r\n"):
    """A chunked stream: head, then each chunk framed, then end."""
    out = head
    for c in chunks:
        out += b"%x\r\n" % len(c) + c + b"\r\n"
    return out + end


# --- the runtime's side: the bootstraps against a recording Runtime API


class RuntimeAPI:
    """Enough of the agent's Runtime API to record a bootstrap's requests:
    hand out the events, answer every response, record each connection's
    bytes, and stop answering after the last event."""

    def __init__(self, events):
        self.events = list(events)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.streams = []
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            rec = bytearray()
            self.streams.append(rec)
            threading.Thread(target=self.talk, args=(conn, rec),
                             daemon=True).start()

    def talk(self, conn, rec):
        buf = b""
        conn.settimeout(10)
        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    data = conn.recv(65536)
                    if not data:
                        return
                    rec.extend(data)
                    buf += data
                head, _, buf = buf.partition(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                n = 0
                for line in lines[1:]:
                    k, _, v = line.partition(":")
                    if k.strip().lower() == "content-length":
                        n = int(v)
                while len(buf) < n:
                    data = conn.recv(65536)
                    if not data:
                        return
                    rec.extend(data)
                    buf += data
                buf = buf[n:]
                path = lines[0].split()[1]
                if path.endswith("/hearth/config"):
                    conn.sendall(reply(200, "OK", b"_HANDLER=app.handler\n"))
                elif path.endswith("/invocation/next"):
                    if not self.events:
                        return
                    rid, event = self.events.pop(0)
                    conn.sendall(reply(200, "OK", event, (
                        "Lambda-Runtime-Aws-Request-Id: %s\r\n"
                        "Lambda-Runtime-Deadline-Ms: %d\r\n"
                        "Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:"
                        "local:000000000000:function:fn\r\n") % (
                        rid, int(time.time() * 1000) + 3000)))
                else:
                    conn.sendall(reply(202, "Accepted"))
        finally:
            conn.close()

    def close(self):
        self.sock.close()


APP_PY = '''
def handler(event, context):
    if event.get("fail"):
        raise ValueError("failed on purpose")
    return {"ok": True, "id": context.aws_request_id, "event": event}
'''
APP_JS = '''
exports.handler = async (event, context) => {
  if (event.fail) throw new Error('failed on purpose');
  return { ok: true, id: context.awsRequestId, event };
};
'''
EVENTS = [
    ("6f1c2d3e-0000-4000-8000-000000000001", b'{"n": 1}'),
    ("6f1c2d3e-0000-4000-8000-000000000002", b'{"fail": true}'),
]


def bootstrap(argv, task, env, events):
    """Run a bootstrap against a recording Runtime API; its connections."""
    api = RuntimeAPI(events)
    e = {"PATH": "/usr/bin:/bin", "AWS_LAMBDA_RUNTIME_API":
         "127.0.0.1:%d" % api.port, "LAMBDA_TASK_ROOT": task,
         "_HANDLER": "app.handler", "AWS_LAMBDA_FUNCTION_NAME": "fn",
         "PYTHONDONTWRITEBYTECODE": "1"}
    e.update(env)
    p = subprocess.Popen(argv, env=e, cwd=task, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    deadline = time.time() + 10
    while time.time() < deadline and p.poll() is None and (
            events and api.events or len(api.streams) == 0):
        time.sleep(0.05)
    time.sleep(0.3)
    p.kill()
    p.wait()
    api.close()
    return [bytes(s) for s in api.streams if s]


def runtime_seeds(tmp):
    task = os.path.join(tmp, "task")
    os.makedirs(task)
    with open(os.path.join(task, "app.py"), "w") as f:
        f.write(APP_PY)
    with open(os.path.join(task, "app.js"), "w") as f:
        f.write(APP_JS)
    py = ["/usr/bin/python3", "-S", "-u", "-c", "import sys; sys.path.insert("
          "0, %r); import bootstrap; bootstrap.main()" %
          os.path.join(ROOT, "images", "python3")]
    js = ["/usr/bin/node", os.path.join(ROOT, "images", "node", "bootstrap.js")]
    for name, argv in (("python", py), ("node", js)):
        if not os.access(argv[0], os.X_OK):
            continue
        for i, s in enumerate(bootstrap(argv, task, {}, EVENTS)):
            seed("http", "%s-invocations-%d" % (name, i), s)
        for i, s in enumerate(bootstrap(argv, task, {"HEARTH_PREWARM": "1"},
                                        EVENTS[:1])):
            seed("http", "%s-prewarmed-%d" % (name, i), s)
        for i, s in enumerate(bootstrap(argv, task, {"_HANDLER": "nope.handler"},
                                        [])):
            seed("http", "%s-init-error-%d" % (name, i), s)


# --- the host's side: agent_request() and bundle_build(), via fuzz-seeds


def host_seeds(seeds, tmp):
    code = os.path.join(tmp, "code")
    os.makedirs(code)
    with open(os.path.join(code, "app.py"), "w") as f:
        f.write(APP_PY)
    bundle = subprocess.run([seeds, "bundle", code], check=True,
                            stdout=subprocess.PIPE).stdout.decode()
    for name, args in (
            ("host-invoke", ["POST", "/invoke", '{"n": 1}',
                             "6f1c2d3e-0000-4000-8000-000000000001", "3000"]),
            ("host-configure", ["POST", "/configure",
                                "_HANDLER=app.handler\nAWS_REGION=local\n"
                                "AWS_LAMBDA_FUNCTION_NAME=fn\n"]),
            ("host-health", ["GET", "/health"]),
            ("host-stats", ["GET", "/stats"]),
            ("host-stats-follow", ["GET", "/stats?follow=1"]),
            ("host-logs-follow", ["GET", "/logs?follow=1"]),
            ("host-shutdown", ["POST", "/shutdown"]),
            ("host-code", ["PUT", "/code", bundle]),
            ("host-rekey", ["POST", "/rekey", "token=%s\nseed=%s\ntime_ms=%d\n"
                            % ("ab" * 16, "cd" * 32, 1796117543956)]),
            ("host-quiesce", ["POST", "/quiesce"])):
        out = subprocess.run([seeds, "request"] + args, check=True,
                             stdout=subprocess.PIPE).stdout
        seed("http", name, out)


def tree(root, spec):
    """Make a tree under root: {name: str (file) | dict (dir) | ("link", target)
    | ("exec", text)}."""
    os.makedirs(root, exist_ok=True)
    for name, v in spec.items():
        p = os.path.join(root, name)
        if isinstance(v, dict):
            tree(p, v)
        elif isinstance(v, tuple) and v[0] == "link":
            os.symlink(v[1], p)
        elif isinstance(v, tuple):
            with open(p, "w") as f:
                f.write(v[1])
            os.chmod(p, 0o755)
        else:
            with open(p, "w") as f:
                f.write(v)


def bundle_seeds(seeds, tmp):
    deep = {"x.py": "x = 1\n"}
    for i in range(10):
        deep = {"d%d" % i: deep}
    trees = {
        "python-app": {"app.py": APP_PY},
        "node-app": {"index.js": APP_JS, "package.json": '{"name": "fn"}\n',
                     "lib": {"util.js": "exports.x = 1;\n", "empty": {}}},
        "links": {"app.py": APP_PY, "passwd": ("link", "/etc/passwd"),
                  "up": ("link", "../outside"),
                  "magic": ("link", "/proc/self/fd/200/outside"),
                  "dangling": ("link", "nowhere"), "self": ("link", "self")},
        "modes": {"run.sh": ("exec", "#!/bin/sh\necho hi\n"), "empty": "",
                  "dir": {}},
        "deep": deep,
        "names": {"with space.py": "", "ünïcödé.py": "", "a.b.c": "",
                  "-dash": "", "%o %zu": ""},
        "big": {"big.bin": "".join(chr(32 + i % 90) for i in range(8192))},
    }
    # Found by fuzzing, fixed: code.c dropped a path's leading blanks, so
    # this tree's two files were one twice.
    trees["found-leading-blank"] = {" app.py": "x = 1\n", "app.py": "x = 2\n"}
    for name, spec in trees.items():
        root = os.path.join(tmp, "trees", name)
        tree(root, spec)
        out = subprocess.run([seeds, "bundle", root], check=True,
                             stdout=subprocess.PIPE).stdout
        seed("code", "built-" + name, out)


# --- a real agent, in an ns sandbox started by hearth


def curl(sock, path, *args, max_time=None):
    argv = ["curl", "-s", "-i", "--raw", "--unix-socket", sock]
    if max_time is not None:
        argv += ["--max-time", str(max_time)]
    argv += list(args) + ["http://agent" + path]
    return subprocess.run(argv, stdout=subprocess.PIPE).stdout


def agent_seeds(build, tmp):
    hearth = os.path.join(build, "hearth")
    env = dict(os.environ, HEARTH_HOME=os.path.join(tmp, "home"),
               HEARTH_POOL_SIZE="0", HEARTH_DRIVER="ns")
    env.pop("NODE_EXTRA_CA_CERTS", None)
    code = os.path.join(tmp, "fn")
    os.makedirs(code)
    with open(os.path.join(code, "app.py"), "w") as f:
        f.write("import sys, time\n"
                "def handler(event, context):\n"
                "    print('hello from', context.aws_request_id)\n"
                "    sys.stderr.write('a warning\\n')\n"
                "    if event.get('sleep'):\n"
                "        time.sleep(event['sleep'])\n"
                "    if event.get('fail'):\n"
                "        raise ValueError('failed on purpose')\n"
                "    return {'ok': True, 'event': event}\n")

    def h(*args):
        return subprocess.run([hearth] + list(args), env=env, check=True,
                              stdout=subprocess.PIPE).stdout
    try:
        h("fn", "create", "fn", "--runtime", "python3", "--handler",
          "app.handler", "--code", code)
        h("fn", "invoke", "fn", '{"n": 0}')
        vm = json.loads(h("vm", "ls", "-o", "json"))[0]["id"]
        sock = os.path.join(tmp, "home", "run", vm, "agent.sock")
        inv = ["-H", "Expect:", "-H", "Content-Type:", "-H", "Accept:",
               "-H", "X-Hearth-Timeout-Ms: 1000"]
        seed("reply", "agent-health", curl(sock, "/health"))
        seed("reply", "agent-stats", curl(sock, "/stats"))
        seed("reply", "agent-not-found", curl(sock, "/nope"))
        seed("reply", "agent-invoke-ok", curl(
            sock, "/invoke", *inv, "-H", "X-Hearth-Request-Id: "
            "6f1c2d3e-0000-4000-8000-000000000001", "-d", '{"n": 1}'))
        seed("reply", "agent-invoke-error", curl(
            sock, "/invoke", *inv, "-H", "X-Hearth-Request-Id: "
            "6f1c2d3e-0000-4000-8000-000000000002", "-d", '{"fail": true}'))
        seed("reply", "agent-invoke-timeout", curl(
            sock, "/invoke", *inv, "-H", "X-Hearth-Request-Id: "
            "6f1c2d3e-0000-4000-8000-000000000003", "-d", '{"sleep": 3}'))
        time.sleep(0.5)
        seed("reply", "agent-invoke-after-timeout", curl(
            sock, "/invoke", *inv, "-H", "X-Hearth-Request-Id: "
            "6f1c2d3e-0000-4000-8000-000000000004", "-d", '{"n": 4}'))
        for name, path, secs in (("logs", "/logs?follow=1", 1.5),
                                 ("stats", "/stats?follow=1", 2.5)):
            raw = curl(sock, path, max_time=secs)
            # Cut at the last whole chunk, then end the stream as an
            # agent that shuts down would.
            head, _, body = raw.partition(b"\r\n\r\n")
            whole, rest = b"", body
            while True:
                line, sep, after = rest.partition(b"\r\n")
                if not sep:
                    break
                n = int(line.split(b";")[0] or b"0", 16)
                if len(after) < n + 2:
                    break
                whole += rest[:len(line) + 2 + n + 2]
                rest = after[n + 2:]
            seed("stream", "agent-" + name, head + b"\r\n\r\n" + whole)
            seed("stream", "agent-%s-ended" % name,
                 head + b"\r\n\r\n" + whole + b"0\r\n\r\n")
    finally:
        subprocess.run([hearth, "vm", "rm", "--all"], env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


# --- edge cases, named for what they test


def http_edges():
    nx = PREFIX + "/invocation/next"
    rid = "6f1c2d3e-0000-4000-8000-000000000001"
    ok = PREFIX + "/invocation/%s/response" % rid
    pad = HEADERS_MAX - len(request("GET", nx, headers=[("X-Pad", "")]))
    e = {
        "head-at-cap": request("GET", nx, headers=[("X-Pad", "p" * pad)]),
        "head-over-cap": request("GET", nx, headers=[("X-Pad", "p" * (pad + 1))]),
        "head-unended-at-cap": b"GET / HTTP/1.1\r\nX-Pad: " + b"p" * HEADERS_MAX,
        "pipelined": request("POST", ok, b'{"ok": 1}') + request("GET", nx) +
        request("POST", PREFIX + "/init/error", b"{}"),
        "http10": b"GET %s HTTP/1.0\r\n\r\n" % nx.encode(),
        "http2": b"GET %s HTTP/2\r\n\r\n" % nx.encode(),
        "lowercase-method": b"get %s HTTP/1.1\r\n\r\n" % nx.encode(),
        "method-7": b"OPTIONS / HTTP/1.1\r\n\r\n",
        "method-8": b"PROPFIND / HTTP/1.1\r\n\r\n",
        "path-255": b"GET /" + b"a" * 254 + b" HTTP/1.1\r\n\r\n",
        "path-256": b"GET /" + b"a" * 255 + b" HTTP/1.1\r\n\r\n",
        "path-not-slash": b"GET * HTTP/1.1\r\n\r\n",
        "path-control": b"GET /a\x01b HTTP/1.1\r\n\r\n",
        "path-high-bytes": b"GET /\xc3\xa9\xff HTTP/1.1\r\n\r\n",
        "extra-space": b"GET  / HTTP/1.1\r\n\r\n",
        "no-version": b"GET /\r\n\r\n",
        "bare-lf": b"GET / HTTP/1.1\nHost: x\n\n",
        "bare-cr": b"GET / HTTP/1.1\r\nHost: x\rY: z\r\n\r\n",
        "nul-in-header": b"GET / HTTP/1.1\r\nHost: a\x00b\r\n\r\n",
        "high-byte-in-header": b"GET / HTTP/1.1\r\nUser-Agent: \xc3\xa9\r\n\r\n",
        "tab-in-header": b"GET / HTTP/1.1\r\nX-A:\tb\tc\t\r\n\r\n",
        "header-no-colon": b"GET / HTTP/1.1\r\nHost\r\n\r\n",
        "header-empty-name": b"GET / HTTP/1.1\r\n: x\r\n\r\n",
        "header-folded": b"GET / HTTP/1.1\r\nX-A: b\r\n c\r\n\r\n",
        "content-length-twice": b"POST / HTTP/1.1\r\nContent-Length: 1\r\n"
        b"Content-Length: 1\r\n\r\nab",
        "content-length-space-before-colon": b"POST / HTTP/1.1\r\n"
        b"Content-Length : 5\r\n\r\nhello",
        "content-length-signed": b"POST / HTTP/1.1\r\nContent-Length: +1\r\n\r\na",
        "content-length-12-digits": b"POST / HTTP/1.1\r\nContent-Length: "
        b"999999999999\r\n\r\n",
        "content-length-13-digits": b"POST / HTTP/1.1\r\nContent-Length: "
        b"1000000000000\r\n\r\n",
        "content-length-over-payload": b"POST %s HTTP/1.1\r\nContent-Length: "
        b"6291457\r\n\r\n" % ok.encode(),
        "content-length-hex": b"POST / HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n",
        "transfer-encoding": b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
        b"\r\n1\r\na\r\n0\r\n\r\n",
        "timeout-max": b"POST /invoke HTTP/1.1\r\nX-Hearth-Timeout-Ms: 3600000\r\n\r\n",
        "timeout-over": b"POST /invoke HTTP/1.1\r\nX-Hearth-Timeout-Ms: 3600001\r\n\r\n",
        "timeout-negative": b"POST /invoke HTTP/1.1\r\nX-Hearth-Timeout-Ms: -1\r\n\r\n",
        "reqid-63": b"POST /invoke HTTP/1.1\r\nX-Hearth-Request-Id: " + b"r" * 63 +
        b"\r\n\r\n",
        "reqid-long": b"POST /invoke HTTP/1.1\r\nX-Hearth-Request-Id: " +
        b"r" * 300 + b"\r\n\r\n",
        "reqid-twice": b"POST /invoke HTTP/1.1\r\nX-Hearth-Request-Id: a\r\n"
        b"x-hearth-request-id:  b \r\n\r\n",
        "route-id-63": request("POST", PREFIX + "/invocation/%s/response" %
                               ("i" * 63)),
        "route-id-64": request("POST", PREFIX + "/invocation/%s/error" %
                               ("i" * 64)),
        "route-id-slash": request("POST", PREFIX + "/invocation/a/b/response"),
        "route-id-empty": request("POST", PREFIX + "/invocation//response"),
        "route-next-post": request("POST", nx),
        "route-next-trailing": request("GET", nx + "/"),
        "route-next-query": request("GET", nx + "?x=1"),
        "route-config": request("GET", PREFIX + "/hearth/config"),
        "route-init-error-get": request("GET", PREFIX + "/init/error"),
        "route-response-suffix": request("POST", ok + "x"),
        "empty-line-first": b"\r\nGET / HTTP/1.1\r\n\r\n",
        "body-short": request("POST", ok, b"12345")[:-2],
    }
    for name, data in e.items():
        seed("http", "edge-" + name, data)
    # Found by fuzzing, fixed: an id was cut at 63 bytes, here at a blank;
    # now an id too long to keep whole is refused.
    seed("http", "found-reqid-cut-at-blank", b"POST /invoke HTTP/1.1\r\n"
         b"X-Hearth-Request-Id: " + b"r" * 62 + b" x\r\n\r\n")


def reply_edges():
    ok = ("X-Hearth-Status: ok\r\nX-Hearth-Log-Length: 4\r\n"
          "X-Hearth-Duration-Us: 361\r\nX-Hearth-Init-Us: 0\r\n"
          "X-Hearth-Max-Rss-Kb: 8812\r\n")
    e = {
        "conn-reply-204": reply(204, "No Content"),
        "conn-reply-400": reply(400, "Bad Request", b"malformed code bundle"),
        "conn-reply-409": reply(409, "Conflict", b"busy"),
        "conn-reply-413": reply(413, "Payload Too Large"),
        "conn-reply-503": reply(503, "Service Unavailable"),
        "conn-reply-crash": reply(200, "OK", b"", "X-Hearth-Status: crash\r\n"
                                  "X-Hearth-Log-Length: 0\r\nX-Hearth-Detail: "
                                  "Runtime exited with error: signal 9\r\n"),
        "content-length-at-cap": b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n"
        % REPLY_MAX,
        "content-length-over-cap": b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n"
        b"\r\n" % (REPLY_MAX + 1),
        "content-length-huge": b"HTTP/1.1 200 OK\r\nContent-Length: "
        b"99999999999999999999999\r\n\r\n",
        "content-length-trailing-space": b"HTTP/1.1 200 OK\r\nContent-Length: 2 "
        b"\r\n\r\nok",
        "content-length-short": b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nok",
        "log-length-at-cap": reply(200, "OK", b"x", "X-Hearth-Log-Length: %d\r\n"
                                   % LOG_MAX),
        "log-length-over-cap": reply(200, "OK", b"x", "X-Hearth-Log-Length: %d"
                                     "\r\n" % (LOG_MAX + 1)),
        "log-length-over-body": reply(200, "OK", b"abc",
                                      "X-Hearth-Log-Length: 4\r\n"),
        "log-length-not-number": reply(200, "OK", b"abc",
                                       "X-Hearth-Log-Length: 1e3\r\n"),
        "chunked": chunked(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                           b"X-Hearth-Status: ok\r\nX-Hearth-Log-Length: 4\r\n\r\n",
                           b"log\n", b'{"ok": true}'),
        "chunked-trailer-log-length": chunked(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", b"ab",
            end=b"0\r\nX-Hearth-Log-Length: 9\r\n\r\n"),
        "continue-then-ok": b"HTTP/1.1 100 Continue\r\n\r\n" + reply(
            200, "OK", b"log\n{}", ok),
        "headers-over-cap": b"HTTP/1.1 200 OK\r\n" + b"X-Pad: %s\r\n" % (
            b"p" * 1000) * 66 + b"Content-Length: 0\r\n\r\n",
        "close-delimited": b"HTTP/1.0 200 OK\r\nX-Hearth-Log-Length: 4\r\n\r\n"
        b"log\n{}",
        "lf-only": b"HTTP/1.1 200 OK\nContent-Length: 2\nX-Hearth-Status: ok\n\nok",
        "status-long": reply(200, "OK", b"", "X-Hearth-Status: " + "s" * 100 +
                             "\r\n"),
        "detail-escapes": reply(200, "OK", b"", "X-Hearth-Detail: \x1b]0;t\x07"
                                "\x9b\xff\r\n"),
        "status-garbage": b"HTTP/x 2OO OK\r\nContent-Length: 0\r\n\r\n",
        "not-http": b"SSH-2.0-OpenSSH\r\n",
        "empty": b"",
        "status-only": b"HTTP/1.1 200 OK\r\n",
        "two-content-lengths": b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n"
        b"Content-Length: 2\r\n\r\nab",
        "durations-huge": reply(200, "OK", b"", "X-Hearth-Duration-Us: "
                                "99999999999999999999999\r\nX-Hearth-Max-Rss-Kb:"
                                " -99999999999999999999\r\n"),
    }
    for name, data in e.items():
        seed("reply", "edge-" + name, data)


def stream_edges():
    head = (b"HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n")
    line = (b'{"ts": 1796117543956, "request_id": "6f1c2d3e", "source": '
            b'"stdout", "line": "hello"}\n')
    e = {
        "lines": chunked(head, line, line + line),
        "line-split-across-chunks": chunked(head, line[:10], line[10:40],
                                            line[40:]),
        "empty-lines": chunked(head, b"\n\n" + line + b"\n"),
        "nul-in-line": chunked(head, b'{"line": "a\x00b"}\n'),
        "crlf-in-line": chunked(head, b'{"line": "a\r\nb"}\n'),
        "line-over-cap": chunked(head, b"x" * (STREAM_LINE_MAX + 1) + b"\n"),
        "chunk-at-buffer-cap": head + b"%x\r\n" % STREAM_BUF_MAX + line,
        "chunk-over-buffer-cap": head + b"%x\r\n" % (STREAM_BUF_MAX + 1) + line,
        "chunk-size-upper": head + b"1A\r\n" + line[:26] + b"\r\n0\r\n\r\n",
        "chunk-size-leading-zeros": head + b"0000005\r\nhello\r\n0\r\n\r\n",
        "chunk-size-long": head + b"0" * 70 + b"5\r\nhello\r\n0\r\n\r\n",
        "chunk-size-empty": head + b"\r\nhello\r\n",
        "chunk-size-space": head + b"5 \r\nhello\r\n",
        "chunk-extension": head + b"5;name=value\r\nhello\r\n0;x\r\n\r\n",
        "chunk-no-crlf": head + b"5\r\nhelloXX0\r\n\r\n",
        "chunk-lf-only": head + b"5\nhello\n0\n\n",
        "trailers": chunked(head, line, end=b"0\r\nX-Trailer: 1\r\nX-Other: 2\r\n\r\n"),
        "trailer-over-cap": chunked(head, line, end=b"0\r\nX-Pad: " + b"p" *
                                    HEADERS_MAX + b"\r\n\r\n"),
        "after-end": chunked(head, line) + b"5\r\nextra\r\n",
        "not-chunked": b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
        "chunked-with-spaces": b"HTTP/1.1 200 OK\r\nTransfer-Encoding:  chunked \r\n"
        b"\r\n0\r\n\r\n",
        "chunked-uppercase": b"HTTP/1.1 200 OK\r\nTRANSFER-ENCODING: CHUNKED\r\n"
        b"\r\n0\r\n\r\n",
        "status-404": b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
        "status-200-no-reason": b"HTTP/1.1 200\r\nTransfer-Encoding: chunked\r\n"
        b"\r\n0\r\n\r\n",
        "http10": b"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "headers-over-cap": b"HTTP/1.1 200 OK\r\nX-Pad: " + b"p" * HEADERS_MAX +
        b"\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "headers-lf-only": b"HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n0\n\n",
        "stats": chunked(head, b'{"ts": 1796117543956, "invocations": 1, "errors":'
                         b' 0, "busy": false, "runtime_pid": 3, "rss_kb": 9716,'
                         b' "cpu_ms": 0, "p50_us": 201, "p99_us": 201}\n'),
    }
    for name, data in e.items():
        seed("stream", "edge-" + name, data)


def long_path():
    """A file whose path is 4100 bytes, under the 15 directories it needs
    (each part 255 bytes, the most a name may be)."""
    parts = [chr(ord("a") + i) * 255 for i in range(15)]
    out = "".join("d 755 %s\n" % "/".join(parts[:i + 1]) for i in range(15))
    path = "/".join(parts) + "/"
    return out + "f 644 3 %s\nabc" % (path + "z" * (4100 - len(path)))


def code_edges():
    out = "l 10 evil\n../outside"
    magic = "/proc/self/fd/200/outside"
    e = {
        "dot-dot": "f 644 3 ../x\nabc",
        "dot-dot-inner": "d 755 a\nf 644 3 a/../../x\nabc",
        "dot": "f 644 3 ./x\nabc",
        "absolute": "f 644 3 /tmp/x\nabc",
        "empty-part": "d 755 a\nf 644 3 a//x\nabc",
        "trailing-slash": "d 755 a/\n",
        "link-then-file": out + "f 644 3 evil/x\nabc",
        "link-then-dir": out + "d 755 evil/sub\n",
        "link-then-link": out + "l 6 evil/y\n/etc/x",
        "link-then-deeper": out + "d 755 evil/a\nf 644 3 evil/a/x\nabc",
        "magic-link-then-file": "l %d m\n%sf 644 3 m/x\nabc" % (len(magic), magic),
        "link-to-dot-dot": "l 2 up\n..f 644 3 up/outside.txt\nabc",
        "link-over-file": "f 644 3 x\nabcl 10 x\n../outside",
        "file-over-link": out + "f 644 3 evil\nabc",
        "dir-twice": "d 755 a\nd 700 a\nf 644 0 a/x\n",
        "file-twice": "f 644 1 x\naf 644 1 x\nb",
        "size-huge": "f 644 18446744073709551615 x\nabc",
        "size-overflow": "f 644 99999999999999999999999 x\nabc",
        "size-beyond-input": "f 644 100 x\nabc",
        "size-negative": "f 644 -1 x\nabc",
        "link-size-4095": "l 4095 x\n" + "t" * 4095,
        "link-size-4096": "l 4096 x\n" + "t" * 4096,
        "link-empty": "l 0 x\n",
        "link-nul-target": "l 5 x\nab\x00cd",
        "mode-setuid": "f 4755 3 x\nabcd 7777 d\n",
        "mode-huge": "f 77777777777777 3 x\nabc",
        "mode-negative": "d -1 d\n",
        "mode-not-octal": "d 999 d\n",
        "path-4095": "d 755 " + "/".join(["p" * 254] * 16)[:4095] + "\n",
        "path-nul": "f 644 3 a\x00b\nabc",
        "path-trailing-blank": "f 644 3 x \nabc",
        "path-newline-name": "f 644 3 x\r\nabc",
        "tabs": "d\t755\ta\n",
        "no-spaces": "d0a\n",
        "unknown-type": "p 644 x\n",
        "empty": "",
        "blank-line": "\n",
        "deep": "".join("d 755 %s\n" % "/".join(["d"] * (i + 1))
                        for i in range(80)),
        "many": "".join("f 644 1 f%d\nx" % i for i in range(200)),
    }
    for name, data in e.items():
        seed("code", "edge-" + name, data)
    # Found by fuzzing, fixed; kept so that they stay fixed.
    for name, data in {
            "unset-line-no-newline": "d 755 a",
            "unset-line-too-long": "d 755 " + "a" * 4300 + "\n",
            "path-leading-blank": "f 644 3  x\nabc",
            "dir-over-file": "f 644 3 a\nabcd 755 a\n",
            "dir-over-link": out + "d 755 evil\n",
            "path-cut-at-4095": long_path()}.items():
        seed("code", "found-" + name, data)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: corpus.py BUILD")
    build = os.path.abspath(sys.argv[1])
    seeds = os.path.join(build, "fuzz", "fuzz-seeds")
    for kind in ("http", "reply", "stream", "code"):
        shutil.rmtree(os.path.join(OUT, kind), ignore_errors=True)
    tmp = tempfile.mkdtemp(prefix="hearth-corpus.")
    try:
        runtime_seeds(tmp)
        host_seeds(seeds, tmp)
        bundle_seeds(seeds, tmp)
        agent_seeds(build, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    http_edges()
    reply_edges()
    stream_edges()
    code_edges()
    for kind in ("http", "reply", "stream", "code"):
        d = os.path.join(OUT, kind)
        n = len(os.listdir(d))
        size = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))
        print("%-7s %3d seeds, %7d bytes" % (kind, n, size))


if __name__ == "__main__":
    main()
