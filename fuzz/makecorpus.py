#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the fuzz targets' seed corpus, fuzz/corpus/<target>/, from the unit tests' own inputs: the
C string literals of each parser's tst_*.cpp that look like its input (adjacent literals joined, as
the compiler joins them), and for the codec the JSON examples of docs/protocol.md. Each seed is the header byte fuzzfeed.h reads (0x00: no cuts, default
limits; 0x80 with the target's small limits for a few) and the input. Run it again when the unit tests
gain inputs: ./fuzz/makecorpus.py"""

import hashlib
import os
import re
import shutil
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAX_SEEDS = 48

LITERAL = re.compile(r'"((?:[^"\\\n]|\\.)*)"')
ADJACENT = re.compile(r'"(?:[^"\\\n]|\\.)*"(?:\s*"(?:[^"\\\n]|\\.)*")*')


def unescape(text):
    """A C string literal's bytes: \\xHH... (greedy, as C reads it), octal, the usual letters."""
    out = bytearray()
    i = 0
    simple = {"n": 10, "r": 13, "t": 9, "0": 0, "\\": 92, '"': 34, "'": 39, "a": 7, "b": 8, "f": 12, "v": 11, "?": 63}
    while i < len(text):
        c = text[i]
        if c != "\\":
            out += c.encode("utf-8")
            i += 1
            continue
        n = text[i + 1]
        if n == "x":
            j = i + 2
            while j < len(text) and text[j] in "0123456789abcdefABCDEF":
                j += 1
            out.append(int(text[i + 2:j], 16) & 0xFF)
            i = j
        elif n in "01234567":
            j = i + 1
            while j < len(text) and j < i + 4 and text[j] in "01234567":
                j += 1
            out.append(int(text[i + 1:j], 8) & 0xFF)
            i = j
        else:
            out.append(simple.get(n, ord(n)))
            i += 2
    return bytes(out)


def literals(test):
    with open(os.path.join(ROOT, "tests", test), encoding="utf-8") as f:
        source = f.read()
    for run in ADJACENT.finditer(source):
        yield b"".join(unescape(m.group(1)) for m in LITERAL.finditer(run.group(0)))


METHODS = re.compile(rb"^(GET|POST|PUT|DELETE|HEAD|OPTIONS|PATCH|CONNECT|TRACE) ")
TARGETS = {
    "httprequest": ("tst_httprequestparser.cpp", lambda b: METHODS.match(b) is not None),
    "httpresponse": ("tst_httpresponseparser.cpp", lambda b: b.startswith(b"HTTP/")),
    "sse": ("tst_sseparser.cpp", lambda b: b"\n" in b or b"\r" in b),
    "messagecodec": ("tst_messagecodec.cpp", lambda b: b.lstrip()[:1] in (b"{", b"[")),
    "wsframe": ("tst_wsframeparser.cpp", lambda b: len(b) >= 2 and (b[0] & 0x70) == 0 and (b[0] & 0x0F) in (0, 1, 2, 8, 9, 10)),
}


def main():
    for target, (test, wanted) in TARGETS.items():
        inputs = []
        for data in literals(test):
            if wanted(data) and data not in inputs:
                inputs.append(data)
        if target == "messagecodec":
            # The codec's unit tests build messages as values; the wire examples are in the protocol.
            with open(os.path.join(ROOT, "docs", "protocol.md"), encoding="utf-8") as f:
                for example in re.findall(r'\{"type"[^`\n]*\}', f.read()):
                    data = example.encode("utf-8")
                    if data not in inputs:
                        inputs.append(data)
        inputs = inputs[:MAX_SEEDS]
        if target in ("httprequest", "wsframe") and len(inputs) >= 2:
            inputs.append(inputs[0] + inputs[1])  # two on one connection
        directory = os.path.join(ROOT, "fuzz", "corpus", target)
        shutil.rmtree(directory, ignore_errors=True)
        os.makedirs(directory)
        for i, data in enumerate(inputs):
            # Every fourth seed with the target's small limits (flag 0x80).
            seed = bytes([0x80 if i % 4 == 3 else 0x00]) + data
            with open(os.path.join(directory, hashlib.sha1(seed).hexdigest()), "wb") as f:
                f.write(seed)
        print("%s: %d seeds from tests/%s" % (target, len(inputs), test))
    return 0


if __name__ == "__main__":
    sys.exit(main())
