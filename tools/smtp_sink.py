#!/usr/bin/python3
"""Development mail sink and fault-injecting SMTP server.

`make run` starts it so a new developer sees every mail the service sends
(and can click the verification link from the console); the integration tests
start it as a real SMTP server and drive it through fault knobs.

Runs with Debian 12's /usr/bin/python3 + python3-aiosmtpd (stdlib + aiosmtpd
only).  Listens on 127.0.0.1 only.

Usage
    /usr/bin/python3 tools/smtp_sink.py --port PORT --dir DIR [--quiet]
                                        [--auth USER:PASSWORD]

    /usr/bin/python3 tools/smtp_sink.py --zygote SOCKET
                                        (the tests: see zygote() below)

    --port 0 picks a free port.  --auth requires AUTH PLAIN/LOGIN with these
    credentials (no TLS needed); without it no AUTH is offered or needed.

Files in DIR
    sink.port        actual port, decimal + newline (written atomically after
                     the socket is listening; removed on clean exit)
    sink.pid         pid of the sink (removed on clean exit)
    mail/NNNNNN.eml  each accepted mail, the exact DATA bytes (dot-unstuffed,
                     CRLF line ends as sent).  Sequence starts at 000001 (or
                     after the highest number already present).  Written
                     atomically (tmp + rename) BEFORE the 250 reply.
    mail/index.jsonl one JSON line per accepted mail, appended before the 250:
                     {"file", "mail_from", "rcpt_tos", "mail_options",
                      "message_id", "subject"} (mail_options: the MAIL FROM
                     parameters, e.g. ["SIZE=1234", "SMTPUTF8"])
                     ("file" is the bare name, e.g. "000001.eml"; message_id
                     and subject are null when the header is missing).
    held/NNNNNN      marker written when a mail is held by "hold_data" (own
                     sequence from 000001; JSON with mail_from/rcpt_tos/
                     subject).  Markers are left in place after release.
    control.json     fault knobs, written by tests (see below).
    .tmp/            scratch dir for the atomic writes.

Console (stdout, flushed)
    smtp sink: listening on 127.0.0.1:PORT, mail saved in DIR/mail/
    mail to RCPT[, RCPT...]: SUBJECT                  (per mail, unless --quiet)
      verification link: URL                          (if the mail has one)

Fault knobs: DIR/control.json
    Read fresh at every relevant SMTP event; absent file, a file that fails to
    parse, or a non-object means "all defaults".  Write it atomically (tmp +
    rename).  Keys:

    "connect_reply": "421 4.3.2 not now"
        Every new connection is greeted with this line and closed (not
        consumed; applies while set).  A 2xx value or ""/null = normal 220.
    "rcpt_replies": ["450 4.2.1 try later", "550 5.1.1 no such user", "250"]
        The Nth RCPT TO since control.json last changed (N counted from 0,
        over all connections) is answered with entry [N]; a 2xx entry, null,
        or running off the end of the list accepts the recipient.
    "data_replies": ["451 4.3.0 try again", "451 4.3.0 try again"]
        Same, per end-of-DATA.  A non-2xx reply means the mail is NOT saved.
    "data_delay_s": 2.5
        Sleep (asynchronously) this long before answering end-of-DATA.
    "rcpt_delay_s": 1.5
        The same before answering each RCPT TO.
    "smtputf8": false
        New connections do not offer SMTPUTF8 in their EHLO reply (and
        answer a command holding non-ASCII bytes with "500 Error: strict
        ASCII mode").
    "hold_data": true
        At end-of-DATA write held/NNNNNN, then poll control.json every 20 ms
        until hold_data is false/absent, then continue.

    "recipients": {"ann@example.com": {"hold_data": true}, ...}
        Knobs of one recipient: a RCPT TO naming an address listed here (as
        the client wrote it), and the DATA of a transaction whose first
        recipient it is, follow that entry's rcpt_replies, data_replies,
        rcpt_delay_s, data_delay_s and hold_data instead of the top-level
        ones; every other recipient goes on with the top-level knobs.  So
        tests running side by side on one sink each fault their own
        addresses without touching the others' mail.

    Counter semantics (kept deliberately simple): the sink keeps two counters,
    RCPT events and end-of-DATA events.  Both reset to 0 whenever
    control.json changes, i.e. its content differs from the last read or the
    file was replaced/rewritten (inode or mtime changed) or removed.  So
    writing a new control.json always starts the reply lists from entry 0.
    A "recipients" entry has two counters of its own, which reset only when
    that entry changes (or goes): another entry's change leaves them alone.

    Order at end-of-DATA: hold_data wait -> data_delay_s sleep -> consume the
    data_replies entry (from the control.json current at that moment; note
    that flipping hold_data rewrites the file and so resets the counters) ->
    on 2xx save .eml + index line, then reply.

    Replies are "CODE[ text]" with a 3-digit 2xx-5xx code; a bare code gets a
    default text.  An invalid entry is answered with 451 and a warning on
    stderr, so a typo in a test fails loudly.

Exits with status 0 on SIGTERM / SIGINT.
"""

import argparse
import asyncio
import email
import email.parser
import email.policy
import hmac
import json
import logging
import os
import re
import signal
import sys
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

HOST = "127.0.0.1"
HOSTNAME = "smtp-sink.localhost"  # avoid a DNS lookup per connection
POLL_S = 0.020
LINK_RE = re.compile(r"https?://\S+/activate\?token=[A-Za-z0-9_-]+")
LINK_RE_B = re.compile(LINK_RE.pattern.encode("ascii"))
REPLY_RE = re.compile(r"^[2-5][0-9][0-9](?: .*)?$", re.S)
DEFAULT_TEXT = {"2": "OK", "3": "continue", "4": "try again later",
                "5": "rejected"}


def out(line):
    """Print a console line; a closed stdout must not kill the sink."""
    try:
        print(line, flush=True)
    except (OSError, ValueError):
        pass


def warn(line):
    try:
        print("smtp sink: " + line, file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass


def normalize_reply(entry):
    """Control-file entry -> reply line, or None meaning "accept"."""
    if entry is None:
        return None
    if isinstance(entry, bool) or not isinstance(entry, (str, int)):
        warn("invalid reply %r in control.json" % (entry,))
        return "451 4.3.0 invalid reply in smtp sink control.json"
    text = str(entry).strip()
    if "\r" in text or "\n" in text or not REPLY_RE.match(text):
        warn("invalid reply %r in control.json" % (entry,))
        return "451 4.3.0 invalid reply in smtp sink control.json"
    if text[0] == "2":
        return None if len(text) == 3 else text
    return text if len(text) > 3 else text + " " + DEFAULT_TEXT[text[0]]


class Sink:
    def __init__(self, directory, quiet):
        self.dir = os.path.abspath(directory)
        self.mail_dir = os.path.join(self.dir, "mail")
        self.held_dir = os.path.join(self.dir, "held")
        self.tmp_dir = os.path.join(self.dir, ".tmp")
        self.control_path = os.path.join(self.dir, "control.json")
        self.quiet = quiet
        for d in (self.mail_dir, self.held_dir, self.tmp_dir):
            os.makedirs(d, exist_ok=True)
        self.mail_seq = self._max_seq(self.mail_dir, r"(\d{6})\.eml")
        self.held_seq = self._max_seq(self.held_dir, r"(\d{6})")
        self._ctl_key = None
        self._ctl = {}
        self.rcpt_count = 0
        self.data_count = 0
        # Per "recipients" entry: {"knobs": entry, "rcpt_count", "data_count"}.
        self._per_rcpt = {}

    @staticmethod
    def _max_seq(directory, pattern):
        rx = re.compile(pattern + r"$")
        best = 0
        for name in os.listdir(directory):
            m = rx.match(name)
            if m:
                best = max(best, int(m.group(1)))
        return best

    # -- control file ------------------------------------------------------
    def control(self):
        """Current knobs (dict); resets the counters when the file changed."""
        try:
            with open(self.control_path, "rb") as f:
                st = os.fstat(f.fileno())
                raw = f.read()
            key = (raw, st.st_ino, st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            raw, key = None, None
        except OSError as e:
            warn("cannot read control.json: %s" % e)
            raw, key = None, None
        if key != self._ctl_key:
            self._ctl_key = key
            self.rcpt_count = 0
            self.data_count = 0
            ctl = {}
            if raw is not None:
                try:
                    ctl = json.loads(raw)
                except ValueError:
                    ctl = {}
                if not isinstance(ctl, dict):
                    ctl = {}
            self._ctl = ctl
            entries = ctl.get("recipients")
            entries = entries if isinstance(entries, dict) else {}
            for rcpt in list(self._per_rcpt):
                if self._per_rcpt[rcpt]["knobs"] != entries.get(rcpt):
                    del self._per_rcpt[rcpt]
        return self._ctl

    def knobs(self, rcpt=None):
        """The knobs for a mail to "rcpt": its "recipients" entry, else the
        top level; and that entry's counters (None for the top level)."""
        ctl = self.control()
        entries = ctl.get("recipients")
        mine = entries.get(rcpt) if isinstance(entries, dict) else None
        if rcpt is None or not isinstance(mine, dict):
            return ctl, None
        counters = self._per_rcpt.setdefault(
            rcpt, {"knobs": mine, "rcpt_count": 0, "data_count": 0})
        return mine, counters

    def _take(self, list_key, counter, rcpt=None):
        ctl, counters = self.knobs(rcpt)
        if counters is None:
            n = getattr(self, counter)
            setattr(self, counter, n + 1)
        else:
            n = counters[counter]
            counters[counter] = n + 1
        entries = ctl.get(list_key)
        if isinstance(entries, list) and n < len(entries):
            return normalize_reply(entries[n])
        return None

    def connect_reply(self):
        reply = self.control().get("connect_reply")
        if reply in (None, "", False):
            return None
        return normalize_reply(reply)

    def hold(self, rcpt=None):
        return bool(self.knobs(rcpt)[0].get("hold_data"))

    def data_delay(self, rcpt=None):
        return self.delay("data_delay_s", rcpt)

    def smtputf8(self):
        return self.control().get("smtputf8", True) is not False

    def delay(self, key, rcpt=None):
        v = self.knobs(rcpt)[0].get(key)
        try:
            v = float(v) if v is not None and not isinstance(v, bool) else 0.0
        except (TypeError, ValueError):
            return 0.0
        return v if v > 0 and v == v else 0.0  # also rejects NaN

    # -- files ---------------------------------------------------------------
    def _atomic_write(self, path, data):
        tmp = os.path.join(self.tmp_dir, "%s.%d.tmp" %
                           (os.path.basename(path), os.getpid()))
        with open(tmp, "wb") as f:
            f.write(data)
        os.rename(tmp, path)

    def write_runtime_files(self, port):
        self._atomic_write(os.path.join(self.dir, "sink.pid"),
                           b"%d\n" % os.getpid())
        self._atomic_write(os.path.join(self.dir, "sink.port"),
                           b"%d\n" % port)

    def remove_runtime_files(self, port):
        for name, want in (("sink.port", port), ("sink.pid", os.getpid())):
            path = os.path.join(self.dir, name)
            try:
                with open(path, "rb") as f:
                    if f.read().strip() == b"%d" % want:
                        os.unlink(path)
            except OSError:
                pass

    def write_held_marker(self, envelope, subject):
        self.held_seq += 1
        info = {"mail_from": envelope.mail_from,
                "rcpt_tos": list(envelope.rcpt_tos), "subject": subject}
        self._atomic_write(os.path.join(self.held_dir,
                                        "%06d" % self.held_seq),
                           json_line(info))

    def save(self, envelope, raw, msg):
        self.mail_seq += 1
        name = "%06d.eml" % self.mail_seq
        self._atomic_write(os.path.join(self.mail_dir, name), raw)
        entry = {"file": name, "mail_from": envelope.mail_from,
                 "rcpt_tos": list(envelope.rcpt_tos),
                 "mail_options": list(envelope.mail_options),
                 "message_id": header(msg, "Message-ID"),
                 "subject": header(msg, "Subject")}
        fd = os.open(os.path.join(self.mail_dir, "index.jsonl"),
                     os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, json_line(entry))
        finally:
            os.close(fd)
        if not self.quiet:
            subject = entry["subject"]
            out("mail to %s: %s" % (", ".join(envelope.rcpt_tos),
                                    "(no subject)" if subject is None
                                    else subject))
            link = find_link(msg, raw)
            if link:
                out("  verification link: %s" % link)


def json_line(obj):
    try:
        return (json.dumps(obj, ensure_ascii=False) + "\n").encode(
            "utf-8", "surrogateescape")
    except UnicodeError:
        return (json.dumps(obj) + "\n").encode("ascii")


def parse(raw, headers_only):
    """The message; with headers_only (--quiet: no link to print) the body
    stays unparsed, which is most of the cost of a multipart mail."""
    try:
        if headers_only:
            return email.parser.BytesHeaderParser(
                policy=email.policy.default).parsebytes(raw)
        return email.message_from_bytes(raw, policy=email.policy.default)
    except Exception:  # malformed mail must never break delivery
        return None


def header(msg, name):
    if msg is None:
        return None
    try:
        v = msg.get(name)
        return None if v is None else str(v)
    except Exception:
        return None


def find_link(msg, raw):
    if msg is not None:
        try:
            part = msg.get_body(preferencelist=("plain",))
            if part is not None:
                m = LINK_RE.search(part.get_content())
                if m:
                    return m.group(0)
        except Exception:
            pass
    m = LINK_RE_B.search(raw)
    return m.group(0).decode("ascii", "replace") if m else None


class Handler:
    def __init__(self, sink):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address,
                          rcpt_options):
        delay = self.sink.delay("rcpt_delay_s", address)
        if delay:
            await asyncio.sleep(delay)
        reply = self.sink._take("rcpt_replies", "rcpt_count", address)
        if reply is not None and not reply.startswith("2"):
            return reply
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return reply or "250 OK"

    async def handle_DATA(self, server, session, envelope):
        sink = self.sink
        raw = envelope.original_content
        if raw is None:
            raw = envelope.content
        if isinstance(raw, str):  # only with decode_data=True; not used
            raw = raw.encode("utf-8", "surrogateescape")
        msg = parse(raw, headers_only=sink.quiet)
        rcpt = envelope.rcpt_tos[0] if envelope.rcpt_tos else None
        if sink.hold(rcpt):
            try:
                sink.write_held_marker(envelope, header(msg, "Subject"))
            except OSError as e:
                warn("cannot write held marker: %s" % e)
            while sink.hold(rcpt):
                reset = getattr(server, "_reset_timeout", None)
                if reset is not None:
                    reset()
                await asyncio.sleep(POLL_S)
        delay = sink.data_delay(rcpt)
        if delay:
            await asyncio.sleep(delay)
        reply = sink._take("data_replies", "data_count", rcpt)
        if reply is not None and not reply.startswith("2"):
            return reply
        try:
            sink.save(envelope, raw, msg)
        except OSError as e:
            warn("cannot save mail: %s" % e)
            return "451 4.3.0 smtp sink cannot save the mail"
        return reply or "250 OK"


class SinkSMTP(SMTP):
    sink = None  # set per instance by the factory

    async def _handle_client(self):
        # Read per connection: EHLO offers SMTPUTF8 unless told not to.
        self.enable_SMTPUTF8 = self.sink.smtputf8()
        reply = self.sink.connect_reply()
        if reply is not None:
            await self.push(reply)
            self.transport.close()
            return
        await super()._handle_client()


def make_authenticator(user, password):
    u, p = user.encode("utf-8"), password.encode("utf-8")

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and hmac.compare_digest(auth_data.login, u)
              and hmac.compare_digest(auth_data.password, p))
        if ok:
            return AuthResult(success=True, auth_data=auth_data)
        return AuthResult(success=False, handled=False)  # -> 535

    return authenticator


class _DropKnownNoise(logging.Filter):
    """aiosmtpd warns per connection/AUTH about choices made on purpose."""
    NOISE = ("auth_require_tls == False",
             "Session.login_data is deprecated")

    def filter(self, record):
        msg = record.getMessage()
        return not any(n in msg for n in self.NOISE)


async def serve(args):
    loop = asyncio.get_running_loop()
    sink = Sink(args.dir, args.quiet)
    handler = Handler(sink)
    kwargs = dict(enable_SMTPUTF8=True, decode_data=False,
                  hostname=HOSTNAME, loop=loop)
    if args.auth is not None:
        user, password = args.auth
        kwargs.update(auth_required=True, auth_require_tls=False,
                      authenticator=make_authenticator(user, password))
    conns = set()

    def factory():
        proto = SinkSMTP(handler, **kwargs)
        proto.sink = sink
        conns.add(proto)
        return proto

    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    try:
        server = await loop.create_server(factory, HOST, args.port,
                                          reuse_address=True)
    except OSError as e:
        warn("cannot listen on %s:%d: %s" % (HOST, args.port, e.strerror
                                            or e))
        return 1
    port = server.sockets[0].getsockname()[1]
    sink.write_runtime_files(port)
    out("smtp sink: listening on %s:%d, mail saved in %s/" %
        (HOST, port, os.path.join(args.dir, "mail")))

    await stop.wait()

    server.close()
    for proto in list(conns):
        t = proto.transport
        if t is not None:
            t.close()
    sink.remove_runtime_files(port)
    me = asyncio.current_task()
    tasks = [t for t in asyncio.all_tasks() if t is not me]
    for t in tasks:
        t.cancel()
    if tasks:
        await asyncio.wait(tasks, timeout=0.5)
    return 0


def zygote(path):
    """Forks sinks on request, from one interpreter that imported all.

    A start of this file costs about 0.25 s of processor time (asyncio,
    ssl, email and aiosmtpd imported afresh); the integration tests start a
    sink per stack, about 140 in a `make check`. A fork of this warm
    process costs a few milliseconds. A request is one JSON line on the
    unix socket PATH, {"argv": [this file's arguments], "log": FILE}; the
    answer is the new sink's pid and a newline. The sinks are not waited
    for (SIGCHLD ignored: the kernel reaps them), so a client stops one
    with kill() and knows it gone when kill(pid, 0) fails. The zygote and
    its sinks end with the process that started the zygote.
    """
    import ctypes
    import socket
    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_pdeathsig = 1
    parent = os.getppid()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    tmp = path + ".tmp"
    if os.path.exists(tmp):
        os.unlink(tmp)
    listener.bind(tmp)
    listener.listen(16)
    os.rename(tmp, path)  # the path appears only once it accepts
    listener.settimeout(1.0)
    while os.getppid() == parent:
        try:
            conn, _ = listener.accept()
        except socket.timeout:
            continue
        with conn:
            conn.settimeout(5.0)
            data = b""
            try:
                while not data.endswith(b"\n"):
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                request = json.loads(data)
                argv = [str(a) for a in request["argv"]]
                log = str(request["log"])
            except (OSError, ValueError, KeyError, TypeError) as e:
                warn("zygote: a bad request: %s" % e)
                continue
            pid = os.fork()
            if pid == 0:
                code = 1
                try:
                    listener.close()
                    conn.close()
                    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                    libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
                    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND,
                                 0o644)
                    os.dup2(fd, 1)
                    os.dup2(fd, 2)
                    os.close(fd)
                    null = os.open(os.devnull, os.O_RDONLY)
                    os.dup2(null, 0)
                    os.close(null)
                    code = main(argv)
                except SystemExit as e:
                    code = e.code if isinstance(e.code, int) else 1
                except BaseException as e:  # noqa: BLE001 (the child's end)
                    warn("zygote: the sink failed: %r" % e)
                finally:
                    try:
                        sys.stdout.flush()
                        sys.stderr.flush()
                    finally:
                        os._exit(code or 0)
            try:
                conn.sendall(b"%d\n" % pid)
            except OSError:
                pass
    return 0


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Development mail sink / fault-injecting SMTP server.")
    p.add_argument("--port", type=int, default=0,
                   help="TCP port on 127.0.0.1 (0 = pick a free one)")
    p.add_argument("--dir", required=True,
                   help="state dir: sink.port, sink.pid, mail/, control.json")
    p.add_argument("--quiet", action="store_true",
                   help="do not print a line per mail")
    p.add_argument("--auth", metavar="USER:PASSWORD",
                   help="require AUTH PLAIN/LOGIN with these credentials")
    args = p.parse_args(argv)
    if not 0 <= args.port <= 65535:
        p.error("--port must be 0..65535")
    if args.auth is not None:
        user, sep, password = args.auth.partition(":")
        if not sep or not user:
            p.error("--auth must be USER:PASSWORD")
        args.auth = (user, password)
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="smtp sink: %(levelname)s %(message)s")
    logging.getLogger("mail.log").addFilter(_DropKnownNoise())
    warnings.filterwarnings("ignore", message="Requiring AUTH while not")
    try:
        return asyncio.run(serve(args))
    except KeyboardInterrupt:  # SIGINT before the handler was installed
        return 0


if __name__ == "__main__":
    try:
        if sys.argv[1:2] == ["--zygote"] and len(sys.argv) == 3:
            sys.exit(zygote(sys.argv[2]))
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(0)
