# tests/probe_helpers.py — copied into the code of the isolation probes:
# try something from inside a function and say whether it was allowed.
import _socket


def attempt(f):
    try:
        return "allowed: %r" % (f(),)
    except Exception as e:
        return "denied: %s" % e


def connect(addr, timeout=1):
    s = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(addr)
    return "connected"


def talk(addr, data, timeout=1):
    s = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(addr)
    s.sendall(data)
    return s.recv(200)
