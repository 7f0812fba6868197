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


def sysc(nr, *args):
    """A raw system call; its result, or OSError with its errno."""
    import ctypes
    import os
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    r = libc.syscall(nr, *[ctypes.c_long(a) if isinstance(a, int) else a
                           for a in args])
    if r == -1:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return r


def sock(family, proto=0):
    """A socket through libc, bypassing Python's checks; OSError if refused."""
    import ctypes
    import os
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.socket(family, 1, proto)
    if fd < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    os.close(fd)
    return "socket"
