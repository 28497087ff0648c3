"""A real SMTP server for the notification tests: aiosmtpd on loopback, with STARTTLS (required)
or implicit TLS, and AUTH (required, one user). Each message it accepts is printed on stdout as
one JSON line, parsed with the standard library's e-mail parser, so a test asserts on what a
mail client would see: envelope, headers, text and HTML bodies, the login used, and whether the
session was encrypted. The first line is {"ready": true} once the server accepts connections.
Stops on SIGTERM."""
import argparse
import json
import signal
import ssl
import sys
import threading
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--mode", choices=["starttls", "tls"], required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    a = p.parse_args()

    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(a.cert, a.key)

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == a.user
            and auth_data.password.decode() == a.password
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            msg = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
            text = msg.get_body(("plain",))
            html = msg.get_body(("html",))
            record = {
                "mailFrom": envelope.mail_from,
                "rcptTos": envelope.rcpt_tos,
                "from": str(msg["from"]),
                "to": str(msg["to"]),
                "subject": str(msg["subject"]),
                "event": msg["x-backstop-event"],
                "text": text.get_content() if text is not None else None,
                "html": html.get_content() if html is not None else None,
                "authUser": session.auth_data.login.decode() if session.authenticated else None,
                "tls": server.transport.get_extra_info("ssl_object") is not None,
            }
            print(json.dumps(record), flush=True)
            return "250 2.0.0 Ok: queued as TEST"

    common = dict(hostname="127.0.0.1", port=a.port, authenticator=authenticator, auth_required=True)
    if a.mode == "starttls":
        controller = Controller(Handler(), tls_context=ctx, require_starttls=True, auth_require_tls=True, **common)
    else:
        # Implicit TLS: the whole session is encrypted, which aiosmtpd's auth_require_tls
        # (a STARTTLS check) does not see, so it is off here.
        controller = Controller(Handler(), ssl_context=ctx, auth_require_tls=False, **common)
    controller.start()
    print(json.dumps({"ready": True}), flush=True)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    sys.exit(main())
