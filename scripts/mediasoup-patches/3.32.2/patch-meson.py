#!/usr/bin/env python3
"""Point mediasoup 3.32's worker/meson.build at local dependencies instead of subprojects.

Usage: patch-meson.py WORKER_DIR

mediasoup's own build downloads libuv, openssl, libsrtp3 (versatica's fork), flatbuffers and
unordered_dense as meson wraps. Offline we use instead (found through PKG_CONFIG_PATH, set by
scripts/build-mediasoup-worker.sh):
  - libuv and openssl: Debian's libuv1-dev / libssl-dev (shared);
  - libsrtp2 2.5.0 built with the OpenSSL backend, static (with the 2.x API patch in this dir);
  - flatbuffers (library, headers) and unordered_dense (header only) from private prefixes;
    flatc comes from meson's native file.
Every edit is exact and checked: if mediasoup's meson.build is not what we expect, this fails
instead of leaving a half-patched build. Running it twice is an error too (the blocks are gone).
"""
import pathlib
import re
import sys


def fail(msg):
    sys.exit("patch-meson: " + msg)


worker = pathlib.Path(sys.argv[1])
path = worker / "meson.build"
text = path.read_text()

SYSTEM_DEPS = """\
# --- Cascade: local dependencies instead of meson subprojects (offline build) ---
libuv_dep = dependency('libuv', version: '>= 1.44.0')
openssl_dep = dependency('openssl', version: '>= 3.0.0')
# libsrtp 2.x (OpenSSL backend, static, private prefix). The code includes <srtp.h>, which
# libsrtp2 installs in <includedir>/srtp2.
libsrtp2_pc_dep = dependency('libsrtp2', version: '>= 2.5.0', static: true)
libsrtp_dep = declare_dependency(
  dependencies: libsrtp2_pc_dep,
  include_directories: include_directories(
    libsrtp2_pc_dep.get_variable(pkgconfig: 'includedir') / 'srtp2'),
)
flatbuffers_dep = dependency('flatbuffers', version: '>= 23.5.26', static: true)
# --- end Cascade ---

"""

# 1. The four subproject blocks that sit at column 0 (libuv, openssl, libsrtp3, flatbuffers).
#    wingetopt (Windows) and catch2 (tests) are inside `if` blocks that are never true here.
BLOCK = re.compile(r"^(\w+)_proj = subproject\(\n.*?^\)\n\n?", re.M | re.S)
names = BLOCK.findall(text)
expected = ["libuv", "openssl", "libsrtp3", "flatbuffers"]
if names != expected:
    fail("expected top-level subprojects %s, found %s" % (expected, names))
first = BLOCK.search(text).start()
text = BLOCK.sub("", text)
text = text[:first] + SYSTEM_DEPS + text[first:]

# 2. The `dependencies` list: subproject variables become the dependencies defined above.
REPLACE = {
    "libuv_proj.get_variable('libuv_dep')": "libuv_dep",
    "openssl_proj.get_variable('openssl_dep')": "openssl_dep",
    "libsrtp3_proj.get_variable('libsrtp3_dep')": "libsrtp_dep",
    "flatbuffers_proj.get_variable('flatbuffers_dep')": "flatbuffers_dep",
}
for old, new in REPLACE.items():
    if text.count(old) != 1:
        fail("expected exactly one %r in meson.build" % old)
    text = text.replace(old, new)

# 3. link_whole (only used by the non-default shared library target) named the subprojects'
#    static libraries; the libraries now come in through the dependencies.
text, n = re.subn(r"^link_whole = \[\n.*?^\]\n", "link_whole = []\n", text, count=1,
                  flags=re.M | re.S)
if n != 1:
    fail("link_whole list not found in meson.build")

leftover = re.findall(r"\b(?:libuv|openssl|libsrtp3|flatbuffers)_proj\b", text)
if leftover:
    fail("meson.build still references %s" % sorted(set(leftover)))

# 4. unordered_dense stays `dependency('unordered_dense')` (satisfied by our .pc file); make
#    sure it is still spelled that way.
if "dependency('unordered_dense')" not in text:
    fail("dependency('unordered_dense') not found in meson.build")

# 5. flatc's headers must exist before any source that includes them is compiled. 3.32 gets
#    this right (the generator is a `sources:` of flatbuffers_generator_dep); insist on it, as
#    3.19 did not (`fatal error: FBS/message.h: No such file or directory`).
fbs = (worker / "fbs" / "meson.build").read_text()
if not re.search(r"flatbuffers_generator_dep = declare_dependency\([^)]*sources:\s*"
                 r"flatbuffers_generator", fbs, re.S):
    fail("fbs/meson.build: flatbuffers_generator_dep does not carry the generated headers")

path.write_text(text)
print("patch-meson: worker/meson.build patched (libuv, openssl, libsrtp2, flatbuffers)")
