#!/usr/bin/env python3
"""Writes the committed seed corpora, fuzz/corpus/<target>/, from the masking test data and a
few hand-picked durations and dates. Run it again after changing a target's input layout:
`python3 fuzz/seeds.py`. A seed that a fuzzing run found (a crash turned regression test) is
committed beside these under a name of its own and is not rewritten here."""

import hashlib
import json
import os
import struct

ROOT = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(ROOT, "..", "readiness-core", "tests", "data")


def lines():
    with open(os.path.join(DATA, "masking-corpus.txt"), encoding="utf-8") as corpus:
        for line in corpus:
            if line.startswith(("MASK ", "KEEP ")):
                yield line[5:].rstrip("\n").replace("⟦", "").replace("⟧", "").replace("\\n", "\n")
    with open(os.path.join(DATA, "masking-adversarial.jsonl"), encoding="utf-8") as adversarial:
        for line in adversarial:
            yield json.loads(line)["piece"] * 16
    yield "\x1b[2m2026-01-01T00:00:00Z\x1b[0m \x1b[32m INFO\x1b[0m login \x1b[3mpassword\x1b[0m\x1b[2m=\x1b[0mhunter2 user=bob"
    yield 'Config { password: Some("h\\"unter2"), token: Token(abc) }'
    yield "naïve café password=пароль-секрет user=ünïcode"


def write(target, name, data):
    folder = os.path.join(ROOT, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    digest = hashlib.sha1(data).hexdigest()[:12]
    with open(os.path.join(folder, f"seed-{name}-{digest}"), "wb") as out:
        out.write(data)


def main():
    for index, line in enumerate(lines()):
        write("mask_bytes", f"{index:02}", line)
        # secret, form, at (u16 LE), then the text.
        write("mask_secret", f"{index:02}", bytes([index % 5, index % 6]) + struct.pack("<H", len(line) // 2) + line.encode())
    write("mask_bytes", "not-utf8", b"password=\xff\xfe hunter2 \xc3 token=\x80abc")

    for index, (values, text) in enumerate(
        [
            ("hunter2-but-longer\tpa$$w0rd", "user=bob password=\t and \t done"),
            ('pa"ss/wo+rd-long\tabcd', '{"v":"\t"} ?p=\t&q=1'),
            ("postgres://app:s3cr3t@db/app\ts3cr3t", "connect \t failed; retry with \t"),
            ("abcd1234\t1234wxyz\t0123456789abcdefXYZ\tcdefXYZ-and-more-of-it", "<\t\t|\t\t>"),
            ("ключ-секрет-долгий\té-é-é-é", "valeur: \t, autre \t"),
        ]
    ):
        write("masker_register", f"{index:02}", bytes([index, index + 1, index + 2, index + 3]) + f"{values}\n{text}".encode())

    names = ["password", "db_password", "clientSecret", "APIKey", "x-api-key", "set-cookie", "authorization",
             "session_id", "spring.datasource.password", "token_count", "password_policy", "secret_name", "author",
             "keyboard", "passwordtoken_", "aws_secret_access_key", "basic_auth", "pass_rate", "token2", "Proxy-Authorization"]
    for index, name in enumerate(names):
        write("sensitive_field", name.replace(".", "_"), bytes([index % 5]) + name.encode())

    durations = ["1h30m", "1h 30m", "800ms", "10s", "365d", "400days", "2w", "1y", "1month", "1s 500ms", "0s",
                 "18446744073709551615s", "584542046090years", "1ns", "999999999ns", "ten seconds", "5", "1h 1h", ""]
    for index, text in enumerate(durations):
        write("duration", f"{index:02}", struct.pack("<QI", index * 86_400, index * 1_000_000) + text.encode())

    dates = ["2026-12-31", "2024-02-29", "2026-02-30", "0000-01-01", "9999-12-31", "-0001-01-01", "+2026-01-01",
             "2026-1-1", "14/09/2026", "2026-09-14T00:00:00Z", " 2026-09-14", "2026-13-01", ""]
    for index, text in enumerate(dates):
        write("date", f"{index:02}", text)

    for index, (on, valid_for) in enumerate(
        [("2026-09-14", "365d"), ("2026-09-14", "400days"), ("9999-12-31", "1d"), ("2026-01-01", "584542046090years"),
         ("-9999-01-01", "1s"), ("2024-02-29", "1y"), ("2026-09-14", "0s")]
    ):
        now = 1_790_000_000 + index * 86_400
        write("attestation_expiry", f"{index:02}", struct.pack("<qQ", now, index * 31_557_600) + f"{on}\n{valid_for}".encode())


if __name__ == "__main__":
    main()
