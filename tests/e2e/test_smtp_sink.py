"""The SMTP sink itself (smtp_sink.py), without a hub, through Python's own smtplib: what it
keeps, its JSON file, AUTH, and the 451/421 it answers when told to."""
import json
import os
import smtplib
import tempfile

import pytest

from smtp_sink import SMTPSink

MESSAGE = ("From: alerts@livehub.example\r\nTo: ops@example.com\r\nSubject: =?UTF-8?B?UGFpZW1lbnQgYmxvcXXDqQ==?=\r\n"
           "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n"
           "\r\nH=C3=A9llo\r\n")


def send(sink, login=None):
    with smtplib.SMTP("127.0.0.1", sink.port, timeout=5) as client:
        if login:
            client.login(*login)
        client.sendmail("alerts@livehub.example", ["ops@example.com"], MESSAGE)


def test_keeps_messages_in_memory_and_in_the_json_file():
    out = os.path.join(tempfile.mkdtemp(), "mails.json")
    with SMTPSink(out=out, auth=("alerts@livehub.example", "p:w d")) as sink:
        assert sink.url == f"smtp://alerts%40livehub.example:p%3Aw%20d@127.0.0.1:{sink.port}"
        send(sink, login=("alerts@livehub.example", "p:w d"))
        send(sink)
        kept = sink.messages()
    assert [m["auth_user"] for m in kept] == ["alerts@livehub.example", None]
    assert kept[0]["subject"] == "Paiement bloqué" and kept[0]["text"].rstrip() == "Héllo"
    assert kept[0]["mail_from"] == "alerts@livehub.example" and kept[0]["rcpt_tos"] == ["ops@example.com"]
    assert json.load(open(out, encoding="utf-8")) == kept


def test_a_wrong_password_is_refused():
    with SMTPSink(auth=("alerts", "right")) as sink:
        with pytest.raises(smtplib.SMTPAuthenticationError):
            send(sink, login=("alerts", "wrong"))
        assert sink.messages() == []


@pytest.mark.parametrize("code", [451, 421])
def test_fails_the_first_n_then_accepts(code):
    with SMTPSink(fail=2, fail_code=code) as sink:
        for _ in range(2):
            with pytest.raises((smtplib.SMTPDataError, smtplib.SMTPServerDisconnected)) as refused:
                send(sink)
            if isinstance(refused.value, smtplib.SMTPDataError):
                assert refused.value.smtp_code == code
        send(sink)
        assert sink.failures == 2 and len(sink.messages()) == 1
        sink.fail_next(1)
        with pytest.raises(smtplib.SMTPDataError):
            send(sink)
        assert sink.failures == 3 and len(sink.messages()) == 1
