"""A real SMTP server on loopback for the digest tests: aiosmtpd's Controller
running in the pytest process (Debian's python3-aiosmtpd).  It keeps every
message it accepts, parsed with the email package, and answers 550 to the
recipients in `refuse`.  stop() and start() again on the same port stand for
an SMTP server that is down for a while.  Keyword arguments go to aiosmtpd's
Controller: tls_context / require_starttls (STARTTLS), ssl_context (smtps),
authenticator / auth_required (AUTH); each message records whether it came
over TLS and the login it was sent under."""

import email
import email.policy
import threading

from aiosmtpd.controller import Controller

import lib


class _Handler:
    def __init__(self, sink):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.sink.refuse:
            with self.sink.lock:
                self.sink.refused.append(address)
            return "550 5.1.1 <%s>: mailbox unavailable" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        login = session.auth_data.login.decode() if session.authenticated else None
        with self.sink.lock:
            self.sink.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                                       "raw": envelope.content, "msg": msg,
                                       "tls": server.transport.get_extra_info("ssl_object") is not None,
                                       "login": login})
        return "250 Message accepted"


class SmtpSink:
    def __init__(self, port=None, start=True, **controller):
        self.port = port or lib.free_port()
        self.controller_kw = controller
        self.lock = threading.Lock()
        self.messages = []
        self.refused = []
        self.refuse = set()
        self.controller = None
        if start:
            self.start()

    def start(self):
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port,
                                     **self.controller_kw)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def snapshot(self):
        with self.lock:
            return list(self.messages)

    def to(self, address):
        """The messages whose envelope went to address."""
        return [m for m in self.snapshot() if address in m["to"]]
