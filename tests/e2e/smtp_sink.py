"""A local SMTP server that keeps what it is sent, for LiveHub's e2e tests of notification
emails (issue 30). aiosmtpd (RFC 5321, AUTH PLAIN and LOGIN of RFC 4954) on a loopback
port, in a thread; each accepted message goes to memory and, with out=, to a JSON file
(a list, rewritten whole after each message). Told to, it answers the DATA of the next N
messages with 451 (or 421) before it accepts any, so a sender's retries can be tested:
    with SMTPSink(auth=("alerts", "secret"), fail=2) as sink:
        hub = start_hub("--smtp-url", sink.url)        # smtp://alerts:secret@127.0.0.1:PORT
        ... sink.messages()[0]["subject"], sink.failures == 2
Standalone: python tests/e2e/smtp_sink.py --port 2525 --out /tmp/mails.json --fail 1
prints the URL and serves until interrupted. --cert/--key: implicit TLS (smtps://).
"""
import argparse
import asyncio
import email
import email.policy
import json
import os
import signal
import ssl
import threading
import urllib.parse

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class SMTPSink:
    def __init__(self, out=None, fail=0, fail_code=451, auth=None, certfile=None, keyfile=None, host="127.0.0.1", port=0):
        self.out, self.auth, self.host, self.port = out, auth, host, port
        self.failures = 0  # DATA answered with fail_code so far
        self._fail_left, self._fail_code = fail, fail_code
        self._tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH) if certfile else None
        if self._tls:
            self._tls.load_cert_chain(certfile, keyfile)
        self._messages, self._lock, self._loop, self._thread = [], threading.Lock(), None, None

    # -- control (thread-safe) --
    def start(self):
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()

        def run():
            asyncio.set_event_loop(self._loop)
            server = self._loop.run_until_complete(self._loop.create_server(self._protocol, self.host, self.port, ssl=self._tls))
            self.port = server.sockets[0].getsockname()[1]
            ready.set()
            self._loop.run_forever()
            server.close()
            self._loop.run_until_complete(server.wait_closed())
            self._loop.close()

        self._thread = threading.Thread(target=run, name="smtp-sink", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("smtp sink did not start")
        return self.port

    def stop(self):
        if self._thread:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._thread = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    @property
    def url(self):
        scheme = "smtps" if self._tls else "smtp"
        userinfo = "%s:%s@" % tuple(urllib.parse.quote(part, safe="") for part in self.auth) if self.auth else ""
        return "%s://%s%s:%d" % (scheme, userinfo, self.host, self.port)

    def messages(self):
        with self._lock:
            return list(self._messages)

    def fail_next(self, count, code=451):
        """Answer the DATA of the next `count` messages with `code` (451 or 421)."""
        with self._lock:
            self._fail_left, self._fail_code = count, code

    # -- the server --
    def _protocol(self):
        # AUTH offered without TLS (a loopback sink), not required: "auth_user" says who logged in.
        return SMTP(self, hostname="smtp-sink.test", authenticator=self._authenticate if self.auth else None,
                    auth_require_tls=False, loop=self._loop)

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and \
            (auth_data.login.decode("utf-8", "replace"), auth_data.password.decode("utf-8", "replace")) == tuple(self.auth)
        return AuthResult(success=ok, handled=False, auth_data=auth_data)  # handled=False: a 535 on failure

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            if self._fail_left > 0:
                self._fail_left -= 1
                self.failures += 1
                if self._fail_code == 421:
                    return "421 4.3.2 Service not available (smtp_sink told to fail)"
                return "%d 4.3.0 Try again later (smtp_sink told to fail)" % self._fail_code
            raw = envelope.original_content or envelope.content
            parsed = email.message_from_bytes(raw, policy=email.policy.default)
            body = parsed.get_body(("plain",))
            header = {name: str(parsed[name] or "") for name in ("Subject", "From", "To", "Message-ID", "Date")}
            self._messages.append({
                "mail_from": envelope.mail_from, "rcpt_tos": list(envelope.rcpt_tos),
                "auth_user": session.auth_data.login.decode("utf-8", "replace") if session.authenticated else None,
                "subject": header["Subject"], "from": header["From"], "to": header["To"],
                "message_id": header["Message-ID"], "date": header["Date"],
                "text": body.get_content() if body is not None else "", "raw": raw.decode("utf-8", "replace"),
            })
            self._write()
        return "250 2.0.0 OK: queued"

    def _write(self):
        if not self.out:
            return  # memory only
        temporary = self.out + ".tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(self._messages, handle, indent=1, ensure_ascii=False)
        os.replace(temporary, self.out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2525)
    parser.add_argument("--out", help="JSON file of the messages accepted")
    parser.add_argument("--fail", type=int, default=0, help="answer the first N DATA with --fail-code")
    parser.add_argument("--fail-code", type=int, default=451, choices=(421, 451))
    parser.add_argument("--auth", help="user:password accepted by AUTH PLAIN and LOGIN")
    parser.add_argument("--cert", help="PEM certificate chain: implicit TLS")
    parser.add_argument("--key", help="PEM key for --cert")
    args = parser.parse_args()
    auth = tuple(args.auth.split(":", 1)) if args.auth else None
    sink = SMTPSink(args.out, args.fail, args.fail_code, auth, args.cert, args.key, args.host, args.port)
    sink.start()
    print(sink.url, flush=True)
    try:
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
    finally:
        sink.stop()


if __name__ == "__main__":
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    main()
