#!/usr/bin/env python3
"""Point mediasoup 3.12's worker meson files at Debian system packages instead of subprojects.

Usage: patch-meson.py WORKER_DIR

Debian bookworm packages: openssl, nlohmann_json, libuv, usrsctp, abseil (libabsl-dev); libsrtp2
2.5.0 comes from a private prefix (OpenSSL backend, static; first in PKG_CONFIG_PATH). Done with
exact, checked edits: if mediasoup's meson.build differs from what we expect, this fails loudly
instead of producing a half-patched build. (Moved unchanged from build-mediasoup-worker.sh.)
"""
import pathlib, re, sys

worker = pathlib.Path(sys.argv[1])

def fail(msg):
    sys.exit("patch-meson: " + msg)

# Every `X_proj.get_variable('Y_dep')` becomes the variable `Y_dep`, defined here.
SYSTEM_DEPS = """\
# --- Cascade: Debian system packages instead of meson subprojects (offline build) ---
openssl_dep = dependency('openssl')
nlohmann_json_dep = dependency('nlohmann_json')
libuv_dep = dependency('libuv')
usrsctp_dep = dependency('usrsctp')
# libsrtp 2.5.0 built with the OpenSSL backend into a private prefix (first in
# PKG_CONFIG_PATH), linked statically. The code includes <srtp.h>, which lives in
# <includedir>/srtp2.
libsrtp2_pc_dep = dependency('libsrtp2', version: '>= 2.5.0', static: true)
libsrtp2_dep = declare_dependency(
  dependencies: libsrtp2_pc_dep,
  include_directories: include_directories(
    libsrtp2_pc_dep.get_variable(pkgconfig: 'includedir') / 'srtp2'),
)
absl_container_dep = declare_dependency(dependencies: [
  dependency('absl_flat_hash_map'),
  dependency('absl_flat_hash_set'),
  dependency('absl_btree'),
  dependency('absl_inlined_vector'),
  dependency('absl_memory'),
])
absl_strings_dep = dependency('absl_strings')
absl_types_dep = dependency('absl_optional')
# Only the (non-default) test targets use catch2; Debian 12 has no catch2 v3 pkg-config.
catch2_dep = dependency('catch2', required: false)
# --- end Cascade ---

"""
DEFINED = set(re.findall(r"^(\w+) = ", SYSTEM_DEPS, re.M))
PROJS = ("openssl", "nlohmann_json", "libuv", "libsrtp2", "usrsctp", "abseil_cpp", "catch2")

# Top-level (column 0) `name_proj = subproject(` ... `)` blocks. The Windows-only wingetopt
# subproject is indented inside an `if` and never evaluated on Linux: left alone.
SUBPROJECT_BLOCK = re.compile(r"^(\w+)_proj = subproject\(\n.*?^\)\n\n?", re.M | re.S)
GET_VARIABLE = re.compile(r"\b(%s)_proj\.get_variable\('(\w+)'\)" % "|".join(PROJS))

def replace_get_variable(text, path):
    used = {m.group(2) for m in GET_VARIABLE.finditer(text)}
    if used - DEFINED:
        fail("%s uses %s, not provided by system deps" % (path, sorted(used - DEFINED)))
    text = GET_VARIABLE.sub(lambda m: m.group(2), text)
    leftover = re.findall(r"\b(?:%s)_proj\b" % "|".join(PROJS), text)
    if leftover:
        fail("%s still references %s" % (path, sorted(set(leftover))))
    return text

# worker/meson.build
path = worker / "meson.build"
text = path.read_text()

text, n = re.subn(r"meson_version\s*:\s*'>=\s*1\.1\.0'", "meson_version: '>= 0.60.0'", text)
if n != 1:
    fail("meson_version '>= 1.1.0' not found in meson.build")

names = SUBPROJECT_BLOCK.findall(text)
if sorted(names) != sorted(PROJS):
    fail("expected subprojects %s in meson.build, found %s" % (sorted(PROJS), sorted(names)))
first = SUBPROJECT_BLOCK.search(text).start()
text = SUBPROJECT_BLOCK.sub("", text)
text = text[:first] + SYSTEM_DEPS + text[first:]
if text.index(SYSTEM_DEPS) > text.index("subdir('deps/libwebrtc')"):
    fail("system deps would be defined after subdir('deps/libwebrtc')")

# The subprojects' static libs are gone (system libs are linked via the dependencies); only
# libwebrtc, built in-tree, stays (it is used by the non-default shared-library target).
text, n = re.subn(r"^link_whole = \[\n.*?^\]\n", "link_whole = [\n  libwebrtc,\n]\n",
                  text, count=1, flags=re.M | re.S)
if n != 1:
    fail("link_whole list not found in meson.build")

text = replace_get_variable(text, "meson.build")
path.write_text(text)

# worker/deps/libwebrtc/meson.build: its own abseil-cpp subproject and get_variable calls.
path = worker / "deps" / "libwebrtc" / "meson.build"
text = path.read_text()
names = SUBPROJECT_BLOCK.findall(text)
if names != ["abseil_cpp"]:
    fail("expected only the abseil_cpp subproject in deps/libwebrtc/meson.build, found %s" % names)
text = SUBPROJECT_BLOCK.sub("", text)
text = replace_get_variable(text, "deps/libwebrtc/meson.build")
path.write_text(text)
