#!/usr/bin/python3
"""One FastCGI GET straight to the workers' socket, as any process that can
connect to it could send it (no nginx in between); prints the answer's
status (200 when the workers send no Status line).

  fcgi_get.py SOCKET PATH [NAME=VALUE ...]   extra FastCGI parameters
"""
import socket
import struct
import sys


def record(kind, content, request_id=1):
    return struct.pack("!BBHHBx", 1, kind, request_id, len(content), 0) + content


def length(n):
    return struct.pack("!B", n) if n < 128 else struct.pack("!I", n | 0x80000000)


def params(pairs):
    body = b""
    for name, value in pairs:
        name, value = name.encode(), value.encode()
        body += length(len(name)) + length(len(value)) + name + value
    return body


def main():
    sock_path, path = sys.argv[1], sys.argv[2]
    pairs = [("REQUEST_METHOD", "GET"), ("DOCUMENT_URI", path),
             ("SCRIPT_NAME", path), ("REQUEST_URI", path), ("QUERY_STRING", ""),
             ("REMOTE_ADDR", "127.0.0.1"), ("SERVER_PROTOCOL", "HTTP/1.1"),
             ("CONTENT_LENGTH", ""), ("HTTP_HOST", "127.0.0.1")]
    pairs += [tuple(a.split("=", 1)) for a in sys.argv[3:]]
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(sock_path)
    s.sendall(record(1, struct.pack("!HB5x", 1, 0)) + record(4, params(pairs)) +
              record(4, b"") + record(5, b""))
    data, out = b"", b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    while len(data) >= 8:
        _, kind, _, n, pad = struct.unpack("!BBHHBx", data[:8])
        if kind == 6:
            out += data[8:8 + n]
        data = data[8 + n + pad:]
        if kind == 3:
            break
    head = out.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    for line in head.split("\r\n"):
        if line.lower().startswith("status:"):
            print(line.split(":", 1)[1].split()[0])
            return
    print(200 if out else 0)


if __name__ == "__main__":
    main()
