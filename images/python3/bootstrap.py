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

Output: stdout and stderr reach the agent on one pipe, which keeps the
order of writes; both are line-buffered here, so each line goes in one
write, whole, and both are flushed before a result is posted.  As on
Lambda, the logging module gets a root handler that writes
"[LEVEL]\t<ISO time>Z\t<request id>\t<message>" lines to stdout (a JSON
object a record with AWS_LAMBDA_LOG_FORMAT=JSON), at AWS_LAMBDA_LOG_LEVEL
or else INFO.  It is set up the moment the function imports logging (an
import hook): importing logging up front would double a cold start.
"""
import _json
import _socket
import os
import sys
import time

PREFIX = "/2018-06-01/runtime"
_request_id = ""        # the invocation running, for log records


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


def json_dumps(obj, ascii=True, default=_not_serializable):
    """json.dumps with its defaults (ascii=False: ensure_ascii=False),
    without importing json."""
    encode = _json.make_encoder({}, default,
                                _json.encode_basestring_ascii if ascii else
                                _json.encode_basestring, None, ": ",
                                ", ", False, False, True)
    return "".join(encode(obj, 0))


def _log_json():
    return os.environ.get("AWS_LAMBDA_LOG_FORMAT", "").upper() == "JSON"


def _iso_now(t=None):
    """t (default now) as Lambda's log timestamps: ISO 8601, ms, UTC."""
    t = time.time() if t is None else t
    return "%s.%03dZ" % (time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)),
                         int(t * 1000) % 1000)


# LogRecord attributes that are not a record's extra fields.
_RECORD_FIELDS = frozenset((
    "name", "msg", "args", "levelname", "levelno", "pathname", "filename",
    "module", "exc_info", "exc_text", "stack_info", "lineno", "funcName",
    "created", "msecs", "relativeCreated", "thread", "threadName",
    "processName", "process", "taskName", "aws_request_id"))


def setup_logging(logging):
    """Give the root logger Lambda's handler: text lines or JSON objects
    on stdout, with the request id; the root's level AWS_LAMBDA_LOG_LEVEL
    (TRACE is DEBUG) or INFO."""
    logging.Formatter.converter = time.gmtime

    class JsonFormatter(logging.Formatter):
        def format(self, record):
            levelno = min(50, max(0, record.levelno)) // 10 * 10
            out = {"timestamp": _iso_now(record.created),
                   "level": logging.getLevelName(levelno),
                   "message": record.getMessage(),
                   "logger": record.name}
            if record.exc_info:
                import traceback
                out["stackTrace"] = traceback.format_tb(record.exc_info[2])
                out["errorType"] = record.exc_info[0].__name__
                out["errorMessage"] = str(record.exc_info[1])
            out["requestId"] = getattr(record, "aws_request_id", None)
            if record.exc_info:
                out["location"] = "%s:%s:%d" % (record.pathname,
                                                record.funcName, record.lineno)
            for k, v in record.__dict__.items():
                if k not in _RECORD_FIELDS and k not in out:
                    out[k] = v
            return json_dumps({k: v for k, v in out.items() if v is not None},
                              ascii=False, default=str)

    class LambdaHandler(logging.Handler):
        def emit(self, record):
            try:
                msg = self.format(record)
                # One write of whole lines (the formatter may end none).
                sys.stdout.write(msg if msg.endswith("\n") else msg + "\n")
                sys.stdout.flush()
            except Exception:
                self.handleError(record)

    def with_request_id(record):
        record.aws_request_id = _request_id
        return True

    handler = LambdaHandler()
    handler.setFormatter(JsonFormatter() if _log_json() else logging.Formatter(
        "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t"
        "%(message)s", "%Y-%m-%dT%H:%M:%S"))
    handler.addFilter(with_request_id)
    root = logging.getLogger()
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL", "").upper()
    level = {"TRACE": "DEBUG"}.get(level, level)
    root.setLevel(level if level in logging._nameToLevel else logging.INFO)
    root.addHandler(handler)


class _LoggingLoader:
    """Loads logging as its own loader does, then sets it up."""

    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        # The module keeps its own loader: nothing else can tell.
        module.__loader__ = module.__spec__.loader = self.loader
        self.loader.exec_module(module)
        try:
            setup_logging(module)
        except Exception:
            pass    # a "logging" of the function's own, not the stdlib's

    def __getattr__(self, name):
        return getattr(self.loader, name)


class _LoggingFinder:
    """An import hook that sets logging up once the function imports it."""

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name != "logging":
            return None
        sys.meta_path.remove(cls)
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            spec = find(name, path, target) if find is not None else None
            if spec is not None and spec.loader is not None:
                spec.loader = _LoggingLoader(spec.loader)
                return spec
        return None


def flush_output():
    """What the function printed goes out before its result does."""
    for f in (sys.stdout, sys.stderr):
        try:
            f.flush()
        except Exception:
            pass


def log_error(text, body):
    """Log a failure as Lambda does: text lines, or with JSON logs one
    object of the error document."""
    flush_output()
    if _log_json():
        doc = {"timestamp": _iso_now(), "level": "ERROR"}
        doc.update(json_loads(body))
        doc["requestId"] = _request_id
        text = json_dumps(doc, ascii=False)
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


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
    body = json_dumps({"errorMessage": msg, "errorType": kind,
                       "stackTrace": []}).encode()
    log_error("[ERROR] %s: %s" % (kind, msg), body)
    client.request("POST", PREFIX + "/init/error", body,
                   {"Lambda-Runtime-Function-Error-Type": kind})


def main():
    global _request_id
    for f in (sys.stdout, sys.stderr):
        f.reconfigure(line_buffering=True, write_through=False)
    if "logging" in sys.modules:
        setup_logging(sys.modules["logging"])
    else:
        sys.meta_path.insert(0, _LoggingFinder)
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
        request_id = _request_id = hdrs.get("lambda-runtime-aws-request-id", "")
        trace = hdrs.get("lambda-runtime-trace-id")
        if trace:
            os.environ["_X_AMZN_TRACE_ID"] = trace
        else:
            os.environ.pop("_X_AMZN_TRACE_ID", None)
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
            import traceback
            path, body = path + "error", error_body(exc)
            log_error("[ERROR] %s: %s\nTraceback (most recent call last):\n%s"
                      % (type(exc).__name__, exc, "".join(traceback.format_list(
                          user_frames(exc))).rstrip()), body)
        flush_output()
        _, hdrs, event = client.post_then_next(path, body)

if __name__ == "__main__":
    main()
