#!/usr/bin/env bash
# Build mediasoup-worker for the pinned mediasoup (3.12.16) OFFLINE on Debian 12 and cache it
# outside the checkout.
#
# Why this exists: `npm install mediasoup` cannot produce a worker on our machines (the prebuilt
# download and the fallback build both need GitHub / PyPI). The recipe below is the verified one
# from /work/shared/mediasoup-worker.md:
#   - the worker's meson subprojects are replaced by Debian's system packages;
#   - libsrtp 2.5.0 (the version mediasoup 3.12.16 pins) is built from Debian's *source* package
#     with the OpenSSL crypto backend and linked statically, because Debian's libsrtp2-1 uses NSS,
#     which costs roughly 2x CPU per SRTP packet.
#
# Usage:   scripts/build-mediasoup-worker.sh            (progress on stderr)
#          export MEDIASOUP_WORKER_BIN="$(scripts/build-mediasoup-worker.sh)"
# The absolute path of the binary is the only thing written to stdout (last line).
# If a good binary is already cached, this is a no-op that returns in well under a second.
#
# Environment:
#   CASCADE_CACHE_DIR   cache root (default: ~/.cache/cascade)
#   CASCADE_BUILD_JOBS  ninja parallelism (default: 2; ~500 MB peak memory with 2)
#   CASCADE_KEEP_BUILD  set to 1 to keep the scratch build dir after a successful build
set -euo pipefail

DEFAULT_MEDIASOUP_VERSION=3.12.16
# libsrtp version pinned by mediasoup 3.12.x (worker/subprojects/libsrtp2.wrap).
LIBSRTP_VERSION=2.5.0
APT_PACKAGES=(build-essential pkg-config meson ninja-build libssl-dev libuv1-dev libusrsctp-dev
  nlohmann-json3-dev libabsl-dev dpkg-dev)
# How long to wait for another apt/dpkg run (e.g. a background `apt-get install`) to finish.
APT_LOCK_TIMEOUT=1800

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JOBS="${CASCADE_BUILD_JOBS:-2}"

log() { printf '[build-mediasoup-worker] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------------------------------------
# Version and cache location
# ---------------------------------------------------------------------------------------------
# The cache is keyed by the mediasoup version actually installed (node_modules), so bumping
# mediasoup triggers exactly one rebuild; before `npm install` we fall back to the pinned version.
MS_PKG_JSON="$ROOT_DIR/node_modules/mediasoup/package.json"
if [[ -f "$MS_PKG_JSON" ]]; then
  MS_VERSION="$(sed -n 's/^[[:space:]]*"version"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' \
    "$MS_PKG_JSON" | head -n1)"
  [[ -n "$MS_VERSION" ]] || die "cannot read version from $MS_PKG_JSON"
else
  MS_VERSION="$DEFAULT_MEDIASOUP_VERSION"
fi

CACHE_ROOT="${CASCADE_CACHE_DIR:-$HOME/.cache/cascade}/mediasoup-worker"
DEST_DIR="$CACHE_ROOT/$MS_VERSION"
DEST_BIN="$DEST_DIR/mediasoup-worker"

# A cached binary is good if it is executable, all its shared libraries resolve, and it does not
# use Debian's NSS-backed libsrtp (i.e. it was built with the OpenSSL libsrtp, statically).
# (mediasoup-worker has no --version flag and exits when not spawned by mediasoup, so we do not
# run it here.)
binary_ok() {
  local bin="$1" out
  [[ -f "$bin" && -x "$bin" ]] || return 1
  out="$(ldd "$bin" 2>&1)" || return 1
  ! grep -q 'not found' <<<"$out" || return 1
  ! grep -Eq 'libnss3|libsrtp2\.so' <<<"$out" || return 1
}

if binary_ok "$DEST_BIN"; then
  log "no-op: cached worker for mediasoup $MS_VERSION is up to date"
  echo "$DEST_BIN"
  exit 0
fi

# ---------------------------------------------------------------------------------------------
# Lock: concurrent runs (e.g. two terminals, CI steps) wait for each other instead of building
# twice into the same place; the second one then finds the cached binary.
# ---------------------------------------------------------------------------------------------
mkdir -p "$CACHE_ROOT"
exec 9>"$CACHE_ROOT/.build.lock"
if ! flock -n 9; then
  log "another build is running; waiting for $CACHE_ROOT/.build.lock ..."
  flock 9
fi
if binary_ok "$DEST_BIN"; then
  log "no-op: worker was built by a concurrent run"
  echo "$DEST_BIN"
  exit 0
fi

# Scratch dirs left by failed runs are not in use (we hold the lock): remove them.
rm -rf "$CACHE_ROOT"/.build-*
SCRATCH="$(mktemp -d "$CACHE_ROOT/.build-$MS_VERSION.XXXXXX")"
BUILD_OK=0
cleanup() {
  if [[ "$BUILD_OK" == 1 && "${CASCADE_KEEP_BUILD:-0}" != 1 ]]; then
    rm -rf "$SCRATCH"
  else
    log "scratch build dir kept: $SCRATCH"
  fi
}
trap cleanup EXIT

START_TS=$SECONDS
log "building mediasoup-worker $MS_VERSION in $SCRATCH (this takes a few minutes)"
case "$MS_VERSION" in
  3.12.*) ;;
  *) log "WARNING: recipe verified for mediasoup 3.12.x only; $MS_VERSION will likely fail" ;;
esac

# ---------------------------------------------------------------------------------------------
# apt helpers
# ---------------------------------------------------------------------------------------------
as_root() {
  if [[ "$EUID" -eq 0 ]]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "need root for: $*"
  fi
}

APT_UPDATED=0
apt_update() {
  # `apt-get update` has no lock-wait option of its own: retry while another apt holds the lock.
  local i
  for ((i = 0; i < APT_LOCK_TIMEOUT / 10; i++)); do
    if as_root apt-get -o DPkg::Lock::Timeout="$APT_LOCK_TIMEOUT" update >&2; then
      APT_UPDATED=1
      return 0
    fi
    log "apt-get update failed (apt busy?); retrying in 10 s"
    sleep 10
  done
  die "apt-get update kept failing"
}

pkg_installed() {
  [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" == installed ]]
}

# 1. Build tools and the worker's dependencies as Debian packages (only the missing ones).
missing=()
for p in "${APT_PACKAGES[@]}"; do pkg_installed "$p" || missing+=("$p"); done
if ((${#missing[@]})); then
  log "installing missing packages: ${missing[*]}"
  apt_update
  # DPkg::Lock::Timeout makes apt wait for a concurrent apt/dpkg run instead of failing.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout="$APT_LOCK_TIMEOUT" \
    install -y --no-install-recommends "${missing[@]}" >&2
else
  log "apt packages already installed"
fi

# ---------------------------------------------------------------------------------------------
# 2. Worker sources: node_modules (npm install --ignore-scripts leaves them there) or npm pack.
# ---------------------------------------------------------------------------------------------
WORKER="$SCRATCH/worker"
if [[ -f "$ROOT_DIR/node_modules/mediasoup/worker/meson.build" ]]; then
  log "worker sources: node_modules/mediasoup/worker"
  cp -a "$ROOT_DIR/node_modules/mediasoup/worker" "$WORKER"
else
  log "worker sources: npm pack mediasoup@$MS_VERSION"
  mkdir -p "$SCRATCH/npm"
  (cd "$SCRATCH/npm" && npm pack "mediasoup@$MS_VERSION" --silent >/dev/null)
  tar -xzf "$SCRATCH/npm/mediasoup-$MS_VERSION.tgz" -C "$SCRATCH/npm"
  mv "$SCRATCH/npm/package/worker" "$WORKER"
fi
# Leftovers from an earlier in-tree build attempt must not leak into ours.
rm -rf "$WORKER/out" "$WORKER/subprojects/packagecache"

# The libsrtp hash mediasoup pins; read it before the wrap files are deleted.
SRTP_WRAP="$WORKER/subprojects/libsrtp2.wrap"
[[ -f "$SRTP_WRAP" ]] || die "missing $SRTP_WRAP (unexpected mediasoup worker layout)"
SRTP_SHA256="$(sed -n 's/^source_hash[[:space:]]*=[[:space:]]*//p' "$SRTP_WRAP" | tr -d '[:space:]')"
grep -q "libsrtp-$LIBSRTP_VERSION" "$SRTP_WRAP" \
  || die "mediasoup $MS_VERSION does not pin libsrtp $LIBSRTP_VERSION (see $SRTP_WRAP)"

# Deleting the wraps guarantees meson never tries to download a subproject.
rm -f "$WORKER"/subprojects/*.wrap

# ---------------------------------------------------------------------------------------------
# 3. libsrtp 2.5.0 source from Debian (needs a deb-src entry; the orig tarball is upstream's).
# ---------------------------------------------------------------------------------------------
have_srtp_source_index() {
  # (grep without -q reads all input: no SIGPIPE for apt-cache under pipefail)
  apt-cache showsrc --only-source libsrtp2 2>/dev/null | grep "^Version: $LIBSRTP_VERSION" >/dev/null
}
if ! have_srtp_source_index; then
  SRC_LIST=/etc/apt/sources.list.d/cascade-src.sources
  if [[ ! -f "$SRC_LIST" ]]; then
    log "adding deb-src entry $SRC_LIST"
    # Same mirror and keyring as the main binary entry (Debian 12's deb822 debian.sources),
    # only for the bookworm suite: that is where libsrtp2 2.5.0 lives.
    tmp_list="$(mktemp)"
    python3 - /etc/apt/sources.list.d/debian.sources >"$tmp_list" <<'PY'
import sys
uris, signed_by = "http://deb.debian.org/debian", "/usr/share/keyrings/debian-archive-keyring.gpg"
try:
    text = open(sys.argv[1]).read()
except OSError:
    text = ""
for para in text.split("\n\n"):
    fields, key = {}, None
    for line in para.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        if line[0] in " \t" and key:          # deb822 continuation line
            fields[key] += "\n" + line
            continue
        key, _, value = line.partition(":")
        key = key.strip().lower()
        fields[key] = value.strip()
    if "deb" in fields.get("types", "").split() and "bookworm" in fields.get("suites", "").split():
        uris = fields.get("uris", uris).split()[0]
        signed_by = fields.get("signed-by", signed_by)
        break
print("# Added by Cascade scripts/build-mediasoup-worker.sh: source packages (libsrtp2)")
print("Types: deb-src")
print("URIs: " + uris)
print("Suites: bookworm")
print("Components: main")
print("Signed-By: " + signed_by)
PY
    as_root install -m 644 "$tmp_list" "$SRC_LIST"
    rm -f "$tmp_list"
  fi
  apt_update
  have_srtp_source_index || die "apt has no libsrtp2 $LIBSRTP_VERSION source package (check $SRC_LIST)"
fi

mkdir -p "$SCRATCH/srtp-src"
# Sandbox user root: the scratch dir may not be readable by _apt (e.g. under /root).
(cd "$SCRATCH/srtp-src" && apt-get source --download-only -o APT::Sandbox::User=root libsrtp2 >&2)
SRTP_ORIG="$(find "$SCRATCH/srtp-src" -maxdepth 1 -name "libsrtp2_${LIBSRTP_VERSION}.orig.tar.*" | head -n1)"
[[ -n "$SRTP_ORIG" ]] || die "apt-get source did not fetch libsrtp2_${LIBSRTP_VERSION}.orig.tar.*"
# Debian's orig tarball is byte-identical to the upstream tarball mediasoup pins: insist on it.
if [[ -n "$SRTP_SHA256" ]]; then
  echo "$SRTP_SHA256  $SRTP_ORIG" | sha256sum -c --status \
    || die "$SRTP_ORIG does not match mediasoup's pinned sha256 $SRTP_SHA256"
  log "libsrtp source verified (sha256 matches mediasoup's libsrtp2.wrap)"
fi
# Only the pristine upstream source is used (Debian's patches touch tests and packaging only).
tar -xf "$SRTP_ORIG" -C "$SCRATCH/srtp-src"
SRTP_DIR="$SCRATCH/srtp-src/libsrtp-$LIBSRTP_VERSION"
[[ -f "$SRTP_DIR/meson.build" ]] || die "unexpected libsrtp tarball layout"

# ---------------------------------------------------------------------------------------------
# 4. Build libsrtp: static, PIC, OpenSSL crypto (same options mediasoup passes to its wrap),
#    installed into a private prefix that only this build sees.
# ---------------------------------------------------------------------------------------------
SRTP_PREFIX="$SCRATCH/srtp-prefix"
log "building libsrtp $LIBSRTP_VERSION (OpenSSL backend, static)"
meson setup "$SCRATCH/srtp-build" "$SRTP_DIR" \
  --prefix="$SRTP_PREFIX" --libdir=lib --buildtype=release \
  -Ddefault_library=static -Db_staticpic=true \
  -Dcrypto-library=openssl -Dcrypto-library-kdf=disabled \
  -Dtests=disabled -Dpcap-tests=disabled -Ddoc=disabled -Dfuzzer=disabled >&2
ninja -C "$SCRATCH/srtp-build" -j"$JOBS" install >&2
[[ -f "$SRTP_PREFIX/lib/libsrtp2.a" && -f "$SRTP_PREFIX/lib/pkgconfig/libsrtp2.pc" ]] \
  || die "libsrtp install incomplete in $SRTP_PREFIX"
# Prove the OpenSSL backend is in: the AES-ICM cipher must call into libcrypto's EVP API.
SRTP_SYMS="$(nm "$SRTP_PREFIX/lib/libsrtp2.a" 2>/dev/null)"
grep -q ' U EVP_EncryptInit_ex' <<<"$SRTP_SYMS" \
  || die "libsrtp2.a was not built with the OpenSSL backend"

# ---------------------------------------------------------------------------------------------
# 5. Patch the worker's meson files: system dependencies instead of subprojects.
#    Done with exact, checked edits: if mediasoup's meson.build differs from what we expect, we
#    fail loudly instead of producing a half-patched build.
# ---------------------------------------------------------------------------------------------
log "patching worker meson.build for system dependencies"
python3 - "$WORKER" <<'PY'
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
PY

# ---------------------------------------------------------------------------------------------
# 6. Build the worker. Our libsrtp prefix goes first in PKG_CONFIG_PATH so it wins over any
#    system libsrtp2-dev (NSS) that may get installed later.
# ---------------------------------------------------------------------------------------------
log "configuring and building mediasoup-worker (ninja -j$JOBS)"
export PKG_CONFIG_PATH="$SRTP_PREFIX/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
(
  cd "$WORKER"
  meson setup --buildtype release -Db_ndebug=true --wrap-mode=nodownload out/Release >&2
  ninja -C out/Release -j"$JOBS" mediasoup-worker >&2
)
BUILT="$WORKER/out/Release/mediasoup-worker"
[[ -x "$BUILT" ]] || die "build finished but $BUILT is missing"

# ---------------------------------------------------------------------------------------------
# 7. Verify linkage: everything resolves, no NSS, libsrtp static (no libsrtp2.so).
# ---------------------------------------------------------------------------------------------
LDD_OUT="$(ldd "$BUILT")"
printf '%s\n' "$LDD_OUT" | sed 's/^/[build-mediasoup-worker]   /' >&2
! grep -q 'not found' <<<"$LDD_OUT" || die "unresolved shared libraries (see ldd above)"
! grep -q 'libnss3' <<<"$LDD_OUT" || die "worker links libnss3: NSS libsrtp slipped in"
! grep -q 'libsrtp2\.so' <<<"$LDD_OUT" || die "worker links libsrtp2.so: expected static libsrtp"
grep -q 'libcrypto\.so' <<<"$LDD_OUT" || die "worker does not link libcrypto (OpenSSL)"

# ---------------------------------------------------------------------------------------------
# 8. Install atomically: copy next to the destination, then rename (same filesystem), so a
#    reader never sees a half-written binary.
# ---------------------------------------------------------------------------------------------
mkdir -p "$DEST_DIR"
TMP_BIN="$DEST_DIR/.mediasoup-worker.tmp.$$"
install -m 755 "$BUILT" "$TMP_BIN"
{
  echo "mediasoup $MS_VERSION worker, built $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -srm)"
  echo "libsrtp $LIBSRTP_VERSION static, OpenSSL backend (orig sha256 $SRTP_SHA256)"
  echo "build took $((SECONDS - START_TS)) s with ninja -j$JOBS"
  echo "ldd:"
  printf '%s\n' "$LDD_OUT"
} >"$DEST_DIR/build-info.txt"
mv -f "$TMP_BIN" "$DEST_BIN"
binary_ok "$DEST_BIN" || die "installed binary failed the final check: $DEST_BIN"

BUILD_OK=1
log "done in $((SECONDS - START_TS)) s: $DEST_BIN"
echo "$DEST_BIN"
