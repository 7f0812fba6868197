"""hearth's Python runtime: a Lambda Runtime API client.

Started by hearth-agent inside the sandbox with AWS_LAMBDA_RUNTIME_API set,
as an imported module (bootstrap.main()) so that its bytecode, compiled
when the image is built, is loaded rather than compiled at every start.
It imports the handler named by _HANDLER ("module.function", module paths
relative to /var/task), then loops: GET the next event, call the handler,
POST the result or a Lambda-shaped error.

Start-up time is the cold start, so this file imports little: the C
_socket module instead of socket, and the C _json codec instead of json
(socket and json pull in enum and re, two thirds of a bare start), and
traceback only when something fails.  HTTP/1.1 is spoken by hand over one keep-alive socket:
http.client costs more per request than the whole agent round trip.

With HEARTH_PREWARM set (a pool sandbox), it loads itself and then asks
GET /2018-06-01/runtime/hearth/config for its function's environment, which
the agent answers when the sandbox is given a function.
"""
import _json
import _socket
import os
import sys
import time

PREFIX = "/2018-06-01/runtime"


class _Decoding:
    """What _json.make_scanner reads: json.loads' defaults."""
    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = {"-Infinity": float("-inf"), "Infinity": float("inf"),
                      "NaN": float("nan")}.__getitem__
    memo = {}


def _not_serializable(o):
    raise TypeError("Object of type %s is not JSON serializable"
                    % type(o).__name__)


_scan = _json.make_scanner(_Decoding())
_SPACE = " \t\n\r"


def json_loads(data):
    """json.loads for one document, without importing json."""
    s = data.decode() if isinstance(data, bytes) else data
    i = len(s) - len(s.lstrip(_SPACE))
    try:
        obj, end = _scan(s, i)
    except StopIteration:
        raise ValueError("Expecting value: char %d" % i) from None
    if s[end:].strip(_SPACE):
        raise ValueError("Extra data: char %d" % end)
    return obj


def json_dumps(obj):
    """json.dumps with its defaults, without importing json."""
    encode = _json.make_encoder({}, _not_serializable,
                                _json.encode_basestring_ascii, None, ": ",
                                ", ", False, False, True)
    return "".join(encode(obj, 0))


class RuntimeClient:
    def __init__(self, addr):
        host, port = addr.rsplit(":", 1)
        self.sock = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
        self.sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
        self.sock.connect((host, int(port)))
        self.buf = b""

    def _fill(self):
        data = self.sock.recv(262144)
        if not data:
            raise ConnectionError("runtime API closed the connection")
        self.buf += data

    @staticmethod
    def encode(method, path, body=b"", headers=None):
        head = "%s %s HTTP/1.1\r\nHost: runtime\r\nContent-Length: %d\r\n" % (
            method, path, len(body))
        if headers:
            for k, v in headers.items():
                head += "%s: %s\r\n" % (k, v)
        return head.encode() + b"\r\n" + body

    def request(self, method, path, body=b"", headers=None):
        self.sock.sendall(self.encode(method, path, body, headers))
        return self.reply()

    def post_then_next(self, path, body):
        """POST a result and ask for the next event in one write (HTTP
        pipelining): one round trip less per invocation."""
        self.sock.sendall(self.encode("POST", path, body) +
                          self.encode("GET", PREFIX + "/invocation/next"))
        self.reply()
        return self.reply()

    def reply(self):
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        raw, _, self.buf = self.buf.partition(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        code = int(lines[0].split()[1])
        hdrs = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            hdrs[k.strip().lower()] = v.strip()
        n = int(hdrs.get("content-length", "0"))
        while len(self.buf) < n:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return code, hdrs, data


class Context:
    """The context object handed to handlers, as on AWS Lambda."""

    def __init__(self, hdrs):
        env = os.environ
        self.aws_request_id = hdrs.get("lambda-runtime-aws-request-id", "")
        self.invoked_function_arn = hdrs.get(
            "lambda-runtime-invoked-function-arn", "")
        self._deadline_ms = int(hdrs.get("lambda-runtime-deadline-ms", "0"))
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION",
                                        "$LATEST")
        self.memory_limit_in_mb = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                                          "128")
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = None

    def get_remaining_time_in_millis(self):
        return max(0, self._deadline_ms - int(time.time() * 1000))


def user_frames(exc):
    import traceback
    return [f for f in traceback.extract_tb(exc.__traceback__)
            if f.filename != __file__]


def error_body(exc, error_type=None):
    import traceback
    return json_dumps({
        "errorMessage": str(exc),
        "errorType": error_type or type(exc).__name__,
        "stackTrace": traceback.format_list(user_frames(exc)),
    }).encode()


def load_handler(spec):
    module_name, _, func_name = spec.rpartition(".")
    if not module_name or not func_name:
        raise ValueError("Bad handler '%s': not enough values to unpack "
                         "(expected module.function)" % spec)
    # __import__ rather than importlib.import_module: importing importlib
    # costs more than importing a small handler.
    module_name = module_name.replace("/", ".")
    __import__(module_name)
    module = sys.modules[module_name]
    handler = getattr(module, func_name, None)
    if handler is None:
        raise AttributeError("Handler '%s' missing on module '%s'"
                             % (func_name, module_name))
    return handler


def report_init_error(client, spec, exc):
    if isinstance(exc, SyntaxError):
        kind = "Runtime.UserCodeSyntaxError"
    elif isinstance(exc, AttributeError):
        kind = "Runtime.HandlerNotFound"
    else:
        kind = "Runtime.ImportModuleError"
    msg = str(exc) if isinstance(exc, AttributeError) else \
        "Unable to import module '%s': %s" % (spec.rpartition(".")[0], exc)
    print("[ERROR] %s: %s" % (kind, msg), file=sys.stderr, flush=True)
    body = json_dumps({"errorMessage": msg, "errorType": kind,
                       "stackTrace": []}).encode()
    client.request("POST", PREFIX + "/init/error", body,
                   {"Lambda-Runtime-Function-Error-Type": kind})


def main():
    client = RuntimeClient(os.environ["AWS_LAMBDA_RUNTIME_API"])
    if os.environ.get("HEARTH_PREWARM"):
        _, _, body = client.request("GET", PREFIX + "/hearth/config")
        del os.environ["HEARTH_PREWARM"]
        for line in body.decode().split("\n"):
            key, sep, value = line.partition("=")
            if sep:
                os.environ[key] = value
        time.tzset()
    task_root = os.environ.get("LAMBDA_TASK_ROOT", "/var/task")
    os.chdir(task_root)
    sys.path.insert(0, task_root)
    spec = os.environ.get("_HANDLER", "")
    try:
        handler = load_handler(spec)
    except Exception as exc:
        report_init_error(client, spec, exc)
        sys.exit(1)

    _, hdrs, event = client.request("GET", PREFIX + "/invocation/next")
    while True:
        request_id = hdrs.get("lambda-runtime-aws-request-id", "")
        path = "%s/invocation/%s/" % (PREFIX, request_id)
        try:
            result = handler(json_loads(event) if event else None,
                             Context(hdrs))
            try:
                path, body = path + "response", json_dumps(result).encode()
            except (TypeError, ValueError) as exc:
                path = path + "error"
                body = error_body(exc, "Runtime.MarshalError")
        except Exception as exc:
            sys.stdout.flush()
            import traceback
            print("[ERROR] %s: %s\nTraceback (most recent call last):\n%s"
                  % (type(exc).__name__, exc,
                     "".join(traceback.format_list(user_frames(exc))).rstrip()),
                  file=sys.stderr, flush=True)
            path, body = path + "error", error_body(exc)
        _, hdrs, event = client.post_then_next(path, body)

if __name__ == "__main__":
    main()
