"""hearth's Python runtime: a Lambda Runtime API client.

Started by hearth-agent inside the sandbox with AWS_LAMBDA_RUNTIME_API set.
It imports the handler named by _HANDLER ("module.function", module paths
relative to /var/task), then loops: GET the next event, call the handler,
POST the result or a Lambda-shaped error.  It speaks HTTP/1.1 over one
keep-alive socket by hand because http.client costs more per request than
the whole agent round trip.
"""
import importlib
import json
import os
import socket
import sys
import time
import traceback

API = os.environ["AWS_LAMBDA_RUNTIME_API"]
PREFIX = "/2018-06-01/runtime"


class RuntimeClient:
    def __init__(self, addr):
        host, port = addr.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.rfile = self.sock.makefile("rb")

    def request(self, method, path, body=b"", headers=None):
        head = "%s %s HTTP/1.1\r\nHost: runtime\r\nContent-Length: %d\r\n" % (
            method, path, len(body))
        for k, v in (headers or {}).items():
            head += "%s: %s\r\n" % (k, v)
        self.sock.sendall(head.encode() + b"\r\n" + body)
        status = self.rfile.readline()
        if not status:
            raise ConnectionError("runtime API closed the connection")
        code = int(status.split()[1])
        hdrs = {}
        while True:
            line = self.rfile.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            k, _, v = line.decode("latin-1").partition(":")
            hdrs[k.strip().lower()] = v.strip()
        n = int(hdrs.get("content-length", "0"))
        return code, hdrs, self.rfile.read(n) if n else b""


class Context:
    """The context object handed to handlers, as on AWS Lambda."""

    def __init__(self, hdrs):
        self.aws_request_id = hdrs.get("lambda-runtime-aws-request-id", "")
        self.invoked_function_arn = hdrs.get(
            "lambda-runtime-invoked-function-arn", "")
        self._deadline_ms = int(hdrs.get("lambda-runtime-deadline-ms", "0"))
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get(
            "AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = os.environ.get(
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.log_group_name = "/aws/lambda/" + self.function_name
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = None

    def get_remaining_time_in_millis(self):
        return max(0, self._deadline_ms - int(time.time() * 1000))


def error_body(exc, error_type=None):
    tb = traceback.extract_tb(exc.__traceback__)
    return json.dumps({
        "errorMessage": str(exc),
        "errorType": error_type or type(exc).__name__,
        "stackTrace": traceback.format_list(tb),
    }).encode()


def load_handler(spec):
    module_name, _, func_name = spec.rpartition(".")
    if not module_name or not func_name:
        raise ValueError("Bad handler '%s': not enough values to unpack "
                         "(expected module.function)" % spec)
    module = importlib.import_module(module_name.replace("/", "."))
    handler = getattr(module, func_name, None)
    if handler is None:
        raise AttributeError("Handler '%s' missing on module '%s'"
                             % (func_name, module_name))
    return handler


def main():
    client = RuntimeClient(API)
    task_root = os.environ.get("LAMBDA_TASK_ROOT", "/var/task")
    sys.path.insert(0, task_root)
    spec = os.environ.get("_HANDLER", "")
    try:
        handler = load_handler(spec)
    except Exception as exc:  # report to the Runtime API, then exit
        kind = ("Runtime.UserCodeSyntaxError" if isinstance(exc, SyntaxError)
                else "Runtime.HandlerNotFound" if isinstance(exc, AttributeError)
                else "Runtime.ImportModuleError")
        msg = "Unable to import module '%s': %s" % (
            spec.rpartition(".")[0], exc)
        if isinstance(exc, AttributeError):
            msg = str(exc)
        print("[ERROR] %s: %s" % (kind, msg), file=sys.stderr, flush=True)
        body = json.dumps({"errorMessage": msg, "errorType": kind,
                           "stackTrace": []}).encode()
        client.request("POST", PREFIX + "/init/error", body,
                       {"Lambda-Runtime-Function-Error-Type": kind})
        sys.exit(1)

    while True:
        _, hdrs, event = client.request("GET", PREFIX + "/invocation/next")
        request_id = hdrs.get("lambda-runtime-aws-request-id", "")
        context = Context(hdrs)
        try:
            result = handler(json.loads(event) if event else None, context)
            try:
                body = json.dumps(result).encode()
            except (TypeError, ValueError) as exc:
                raise_marshal = exc
                body = error_body(raise_marshal, "Runtime.MarshalError")
                client.request("POST", "%s/invocation/%s/error" % (
                    PREFIX, request_id), body)
                continue
            client.request("POST", "%s/invocation/%s/response" % (
                PREFIX, request_id), body)
        except Exception as exc:
            sys.stdout.flush()
            lines = traceback.format_exception(type(exc), exc,
                                               exc.__traceback__)
            print("[ERROR] %s: %s\n%s" % (type(exc).__name__, exc,
                                         "".join(lines[:-1]).rstrip()),
                  file=sys.stderr, flush=True)
            client.request("POST", "%s/invocation/%s/error" % (
                PREFIX, request_id), error_body(exc))


if __name__ == "__main__":
    main()
