#!/usr/bin/env python3
"""Writes the seed corpora under tests/fuzz/corpus/<target>/.

Each seed is a small realistic input in the target's format (see the comment
at the top of each tests/fuzz/<target>.cc). Run from the repository root;
existing seeds of the same name are overwritten. Signatures use the fixed keys
of the targets, so they verify.
"""
import base64
import hashlib
import hmac
import os
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
SIGNER_KEY = b"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
NOW = 1_700_000_000


def write(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def form():
    t = "form_fuzz"
    write(t, "register_form", "application/x-www-form-urlencoded\n"
          "email=ana%40example.com&password=correct+horse+battery")
    write(t, "register_json", "application/json; charset=utf-8\n"
          '{"email":"ana@example.com","password":"correct horse battery"}')
    write(t, "activate_form", "application/x-www-form-urlencoded; charset=\"UTF-8\"\n"
          "token=3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    write(t, "json_unicode", 'Application/JSON\n'
          '{"email":"j\\u00f6rg@b\\u00fccher.example","password":"p\\u00e4ss w\\u00f6rd \\ud83d\\ude00","n":1}')
    write(t, "json_not_string", "application/json\n"
          '{"email":["a@b.example"],"password":null}')
    write(t, "form_utf8", "application/x-www-form-urlencoded\n"
          "email=%C3%A9l%C3%A8ve%40%C3%A9cole.example&password=%E2%82%AC%E2%82%AC%E2%82%AC%E2%82%AC%E2%82%AC%E2%82%AC%E2%82%AC%E2%82%AC&&flag")
    write(t, "bad_charset", "multipart/form-data; boundary=x; charset=latin1\n"
          "email=a%ZZ")


def email_password():
    t = "email_password_fuzz"
    for name, v in [
        ("plain", "ana@example.com"),
        ("mixed_case", "  Ana.Lopez+news@Mail.Example.ORG\t"),
        ("unicode_local", "j\u00f6rg@example.de"),
        ("no_at", "ana.example.com"),
        ("two_at", "a@b@example.com"),
        ("space_inside", "ana lopez@example.com"),
        ("nbsp", "ana\u00a0@example.com"),
        ("label_hyphen", "a@-bad-.example"),
        ("password", "correct horse battery staple"),
        ("password_emoji", "\U0001F600\U0001F600\U0001F600\U0001F600pass"),
        ("overlong", b"\xc0\xafpassword"),
        ("surrogate", b"\xed\xa0\x80abcdefgh"),
    ]:
        write(t, name, v)


def request():
    t = "request_fuzz"

    def req(params, body=b""):
        out = bytes([len(params)])
        for k, v in params:
            out += k.encode() + b"\0" + v.encode() + b"\0"
        return out + body

    body = b"email=ana%40example.com&password=correct+horse+battery"
    write(t, "register_post", req([
        ("REQUEST_METHOD", "POST"), ("DOCUMENT_URI", "/register"),
        ("CONTENT_TYPE", "application/x-www-form-urlencoded"),
        ("CONTENT_LENGTH", str(len(body))), ("HTTP_HOST", "reg.example:8080"),
        ("HTTP_ORIGIN", "http://reg.example:8080"),
        ("HTTP_SEC_FETCH_SITE", "same-origin"), ("REMOTE_ADDR", "192.0.2.7")],
        body))
    jbody = b'{"email":"ana@example.com","password":"correct horse battery"}'
    write(t, "register_json", req([
        ("REQUEST_METHOD", "POST"), ("DOCUMENT_URI", "/register"),
        ("CONTENT_TYPE", "application/json"), ("HTTP_ACCEPT", "application/json"),
        ("CONTENT_LENGTH", str(len(jbody))), ("REQUEST_HOST", "reg.example"),
        ("HTTP_ORIGIN", "https://reg.example")], jbody))
    write(t, "activate_get", req([
        ("REQUEST_METHOD", "GET"), ("DOCUMENT_URI", "/activate"),
        ("QUERY_STRING", "token=3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&x=%41"),
        ("HTTP_HOST", "reg.example"), ("HTTP_ACCEPT", "text/html,*/*")]))
    write(t, "cross_site", req([
        ("REQUEST_METHOD", "POST"), ("DOCUMENT_URI", "/register"),
        ("HTTP_HOST", "[::1]:8080"), ("HTTP_ORIGIN", "http://evil.example"),
        ("HTTP_SEC_FETCH_SITE", "Cross-Site"),
        ("CONTENT_LENGTH", "100")], b"email=short"))
    write(t, "origin_null", req([
        ("REQUEST_METHOD", "POST"), ("DOCUMENT_URI", "/register"),
        ("HTTP_HOST", "reg.example"), ("HTTP_ORIGIN", "null"),
        ("HTTP_SEC_FETCH_SITE", "same-origin"),
        ("CONTENT_TYPE", "application/x-www-form-urlencoded"),
        ("CONTENT_LENGTH", "7")], b"email=a"))
    write(t, "too_large", req([
        ("REQUEST_METHOD", "POST"), ("CONTENT_TYPE", "application/json"),
        ("CONTENT_LENGTH", "99999999999999999999")], b"{}"))
    ts = str(NOW)
    jb = b'{"job_id":42}'
    sig = "v1=" + hmac.new(SIGNER_KEY, ts.encode() + b"." + jb, hashlib.sha256).hexdigest()
    write(t, "internal_mail", req([
        ("REQUEST_METHOD", "POST"), ("DOCUMENT_URI", "/internal/mail"),
        ("CONTENT_TYPE", "application/json"), ("CONTENT_LENGTH", str(len(jb))),
        ("REMOTE_ADDR", "127.0.0.1"), ("REGISTRAR_INTERNAL", "1"),
        ("HTTP_X_JOB_TIMESTAMP", ts), ("HTTP_X_JOB_SIGNATURE", sig)], jb))


def job_signature():
    t = "job_signature_fuzz"

    def triple(ts, body, sig=None):
        if sig is None:
            sig = "v1=" + hmac.new(SIGNER_KEY, ts.encode() + b"." + body,
                                   hashlib.sha256).hexdigest()
        return ts.encode() + b"\0" + sig.encode() + b"\0" + body

    write(t, "valid", triple(str(NOW), b'{"job_id":1}'))
    write(t, "valid_skewed", triple(str(NOW - 299), b'{"job_id":123456789}'))
    write(t, "valid_leading_zero", triple("0" + str(NOW), b'{"job_id":7}'))
    write(t, "stale", triple(str(NOW - 301), b'{"job_id":1}'))
    write(t, "uppercase_hex", triple(str(NOW), b'{"job_id":1}',
                                     "v1=" + "AB" * 32))
    write(t, "empty_body", triple(str(NOW), b""))


def mime():
    t = "mime_fuzz"

    def mail(subject, to, text, html):
        return "\0".join([subject, to, text, html]).encode()

    write(t, "verification", mail(
        "Confirm your email address", "ana@example.com",
        "Hello,\n\nopen this link:\n\nhttps://reg.example/activate?token=abc\n",
        "<!doctype html>\n<p><a href=\"https://reg.example/activate?token=abc\">Confirm</a></p>\n"))
    write(t, "utf8_subject", mail(
        "Best\u00e4tige deine E-Mail-Adresse \u2014 \U0001F600 " * 3,
        "j\u00f6rg@example.de", "Gr\u00fc\u00dfe\r\n", "<p>\u00e9</p>"))
    write(t, "encoded_word_lookalike", mail(
        "=?UTF-8?B?SGk=?= not really", "a@b.example", "x", "y"))
    write(t, "header_injection", mail(
        "Hi\r\nBcc: victim@example.com", "a@b.example\r\nBcc: x@y.example",
        "text", "html"))
    write(t, "long_line", mail("s", "a@b.example", "x" * 1000, "ok"))
    write(t, "quoted_local", mail(
        "Hi", 'a<b>"c\\d,e@example.com', "x", "y"))


def token():
    t = "token_fuzz"
    write(t, "token", "3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    write(t, "std_padded", "aGVsbG8gd29ybGQ=")
    write(t, "std_nopad", "c2FsdHNhbHRzYWx0")
    write(t, "trailing_bits", "QR")
    write(t, "bad_len", "abcde")
    write(t, "raw_bytes", bytes(range(0, 256, 7)))


def internal_job():
    t = "internal_job_fuzz"
    for name, body in [
        ("job", '{"job_id":42}'),
        ("job_extra", '{"job_id": 9007199254740993, "note": "retry"}'),
        ("zero", '{"job_id":0}'),
        ("negative", '{"job_id":-1}'),
        ("float", '{"job_id":1.0}'),
        ("string", '{"job_id":"42"}'),
        ("huge_unsigned", '{"job_id":18446744073709551615}'),
        ("array", '[{"job_id":1}]'),
        ("bad", '{"job_id":'),
    ]:
        write(t, name, body)


def password():
    t = "password_fuzz"

    def b64(b):
        return base64.b64encode(b).decode().rstrip("=")

    def phc(pw, ln, r, p, salt):
        key = hashlib.scrypt(pw.encode(), salt=salt, n=1 << ln, r=r, p=p,
                             dklen=32)
        return f"$scrypt$ln={ln},r={r},p={p}${b64(salt)}${b64(key)}"

    salt = bytes(range(16))
    write(t, "match", "hunter22\0" + phc("hunter22", 4, 1, 1, salt))
    write(t, "mismatch", "hunter23\0" + phc("hunter22", 2, 2, 1, salt))
    write(t, "default_cost", "pw\0" + phc("pw", 4, 1, 1, salt).replace(
        "ln=4,r=1,p=1", "ln=17,r=8,p=1"))
    write(t, "leading_zero", "pw\0" + phc("pw", 3, 1, 1, salt).replace(
        "ln=3", "ln=03"))
    write(t, "padded", "pw\0" + phc("pw", 1, 1, 1, salt) + "==")
    write(t, "argon", "pw\0$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA")


def dsn():
    t = "dsn_fuzz"
    # "envelope recipient\0message"; the tag is made with the target's key
    # (64 'f'), so ReadBounce gets past the tag to the report.
    key = hmac.new(b"f" * 64, b"registrar bounce tag v1", hashlib.sha256).digest()
    mac = hmac.new(key, b"42\nghost@nosuch.test\n1796575200",
                   hashlib.sha256).digest()[:10]
    tag = "j42t1796575200m" + base64.b32encode(mac).decode().lower()
    report = ("Content-Type: multipart/report; report-type=delivery-status;\n"
              "\tboundary=\"B\"\n\n--B\nContent-Type: text/plain\n\nfailed\n"
              "--B\nContent-Type: message/delivery-status\n\n"
              "Reporting-MTA: dns; mail.test\n\n"
              "Final-Recipient: rfc822; ghost@nosuch.test\n"
              "Original-Recipient: rfc822;ghost@nosuch.test\n"
              "Action: failed\nStatus: 5.1.1\n"
              "Diagnostic-Code: X-Postfix; mailbox unavailable\n\n--B--\n")
    write(t, "postfix", "bounces+" + tag + "@mail.test\0From MAILER-DAEMON\n"
          + report)
    write(t, "no_tag", "bounces@mail.test\0" + report)
    write(t, "auto_reply", "bounces+" + tag + "@mail.test\0"
          "Auto-Submitted: auto-replied\n\nout of office\n")


if __name__ == "__main__":
    form()
    email_password()
    request()
    job_signature()
    mime()
    token()
    internal_job()
    password()
    dsn()
