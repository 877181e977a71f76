"""A TCP proxy in front of a hub that can cut an answer: the request reaches the hub, which
acts on it and answers, and the proxy closes the client's connection instead of passing
the answer on (a connection dropped after sending, as a NAT or a load balancer may)."""
import socket
import threading


class AnswerCuttingProxy:
    def __init__(self, upstream_port):
        self.upstream = ("127.0.0.1", upstream_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self._lock = threading.Lock()
        self._cuts = 0
        self.cut_answers = []  # the first bytes of each answer not passed on
        threading.Thread(target=self._accept, daemon=True).start()

    def cut_next_answers(self, count=1):
        with self._lock:
            self._cuts = count

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.upstream)
            threading.Thread(target=self._pump, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, True), daemon=True).start()

    def _pump(self, source, sink, is_answer):
        try:
            while True:
                chunk = source.recv(65536)
                if not chunk:
                    break
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
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def close(self):
        self.listener.close()
