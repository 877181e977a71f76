"""A TCP proxy in front of a hub, for what a network does to a client:
- `cut_next_answers(n)`: the next n answers are not passed on. The request reaches the hub,
  which acts on it and answers, and the proxy closes the client's connection instead (a
  connection dropped after sending, as a NAT or a load balancer may).
- `drop(refuse)`: every connection through it is closed, as a network that goes away does,
  and new ones are refused for `refuse` seconds. A hub that is down is a closed socket too."""
import socket
import threading
import time


class TCPProxy:
    def __init__(self, upstream_port):
        self.upstream = ("127.0.0.1", upstream_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self._lock = threading.Lock()
        self._cuts = 0
        self._refusing_until = 0.0
        self._connections = []
        self.cut_answers = []  # the first bytes of each answer not passed on
        threading.Thread(target=self._accept, daemon=True).start()

    def cut_next_answers(self, count=1):
        with self._lock:
            self._cuts = count

    def drop(self, refuse=0.0):
        """Closes every connection through the proxy; how many client connections there were."""
        self._refusing_until = time.monotonic() + refuse
        with self._lock:
            connections, self._connections = self._connections, []
        for s in connections:
            self._close(s)
        return len(connections) // 2

    def close(self):
        self.listener.close()
        self.drop()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if time.monotonic() < self._refusing_until:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.upstream, timeout=2)
                upstream.settimeout(None)
            except OSError:  # the hub is down: the client sees its socket closed
                client.close()
                continue
            with self._lock:
                self._connections += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, True), daemon=True).start()

    def _pump(self, source, sink, is_answer):
        try:
            while chunk := source.recv(65536):
                if is_answer:
                    with self._lock:
                        cut = self._cuts > 0
                        if cut:
                            self._cuts -= 1
                            self.cut_answers.append(chunk)
                    if cut:
                        break
                sink.sendall(chunk)
        except OSError:
            pass
        for s in (source, sink):
            self._close(s)

    @staticmethod
    def _close(s):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()
