"""A TCP proxy in front of PostgreSQL that a test can stop or freeze.

``forward()`` passes bytes both ways; ``refuse()`` closes the port and every connection
(PostgreSQL stopped); ``hang()`` drops every connection and then accepts new ones and
never answers (a frozen PostgreSQL's new connections); ``freeze()`` does the same but
keeps the open connections, which stop passing bytes (PostgreSQL frozen mid-way: the
kernel still takes the bytes, nothing comes back). ``silent_port`` is a listener that
only ever accepts.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress


def pump(src: socket.socket, dst: socket.socket, frozen: threading.Event) -> None:
    """Copy ``src`` to ``dst`` until either side closes; stop copying once ``frozen``."""
    try:
        while data := src.recv(65536):
            if not frozen.is_set():  # frozen: taken, never passed on
                dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            with suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)


class TcpProxy:
    """127.0.0.1:``port`` → ``target`` with a switch: forward, refuse, hang."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.mode = "forward"
        self.conns: list[socket.socket] = []
        self.lock = threading.Lock()
        self.listener: socket.socket | None = None
        self.port = 0
        self.running = True
        self.frozen = threading.Event()
        self._listen()
        threading.Thread(target=self._accept, daemon=True).start()

    def _listen(self) -> None:
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", self.port))
        s.listen(64)
        s.settimeout(0.1)
        self.port, self.listener = s.getsockname()[1], s

    def _accept(self) -> None:
        while self.running:
            listener = self.listener
            if listener is None:
                threading.Event().wait(0.05)
                continue
            try:
                client, _ = listener.accept()
            except OSError:  # timeout, or closed by refuse()
                continue
            client.settimeout(None)
            with self.lock:
                self.conns.append(client)
                if self.mode == "hang":
                    continue  # held open, never read, never answered
                upstream = socket.create_connection(self.target)
                self.conns.append(upstream)
            for ends in ((client, upstream), (upstream, client)):
                threading.Thread(target=pump, args=(*ends, self.frozen), daemon=True).start()

    def _drop(self) -> None:
        with self.lock:
            for s in self.conns:
                with suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            self.conns.clear()

    def forward(self) -> None:
        if self.frozen.is_set():
            self._drop()  # their replies were swallowed: the protocol cannot go on
            self.frozen.clear()
        self.mode = "forward"
        if self.listener is None:
            self._listen()

    def refuse(self) -> None:
        listener, self.listener = self.listener, None
        if listener is not None:
            listener.close()
        self._drop()

    def hang(self) -> None:
        self.mode = "hang"
        self._drop()

    def freeze(self) -> None:
        self.mode = "hang"
        self.frozen.set()

    def close(self) -> None:
        self.running = False
        self.refuse()


@contextmanager
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never sends a byte."""
    held: list[socket.socket] = []
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(64)
        s.settimeout(0.1)
        stop = threading.Event()

        def accept() -> None:
            while not stop.is_set():
                try:
                    held.append(s.accept()[0])
                except OSError:
                    continue

        thread = threading.Thread(target=accept, daemon=True)
        thread.start()
        try:
            yield int(s.getsockname()[1])
        finally:
            stop.set()
            thread.join(2)
            for c in held:
                c.close()
