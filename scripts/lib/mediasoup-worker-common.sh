# Helpers shared by the mediasoup-worker recipes (sourced by scripts/build-mediasoup-worker.sh).
# Expects: set -euo pipefail and ROOT_DIR, CACHE_ROOT, JOBS set; the build helpers also use
# MS_VERSION, SCRATCH, DEST_DIR, DEST_BIN, START_TS. Sourcing it only defines things.
# Everything here writes progress to stderr; stdout is reserved for the binary's path.

log() { printf '[build-mediasoup-worker] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# read_pkg_version PACKAGE_JSON: the "version" field (first one, i.e. the package's own).
read_pkg_version() {
  sed -n '/^[[:space:]]*"version"[[:space:]]*:/{s/^[^:]*:[[:space:]]*"\([^"]*\)".*/\1/p;q;}' "$1"
}

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

# How long to wait for another apt/dpkg run (e.g. a background `apt-get install`) to finish.
APT_LOCK_TIMEOUT="${APT_LOCK_TIMEOUT:-1800}"
# Private dependencies (built once, reused by later builds): $DEPS_ROOT/<name>-<version>/.
DEPS_ROOT="$CACHE_ROOT/deps"

as_root() {
  if [[ "$EUID" -eq 0 ]]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "need root for: $*"
  fi
}

# deb_versions PKG...: "pkg1 1.2-3, pkg2 4.5-6" (installed versions, for build-info.txt).
deb_versions() {
  dpkg-query -W -f='${Package} ${Version}\n' "$@" 2>/dev/null | paste -sd, - | sed 's/,/, /g'
}

pkg_installed() {
  [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" == installed ]]
}

# ensure_apt_packages PKG...: install the missing ones from the machine's own apt sources.
ensure_apt_packages() {
  local p missing=() i
  for p in "$@"; do pkg_installed "$p" || missing+=("$p"); done
  if ((${#missing[@]} == 0)); then
    log "apt packages already installed"
    return 0
  fi
  log "installing missing packages: ${missing[*]}"
  # `apt-get update` has no lock-wait option of its own: retry while another apt holds the lock.
  for ((i = 0; ; i++)); do
    as_root apt-get -o DPkg::Lock::Timeout="$APT_LOCK_TIMEOUT" update >&2 && break
    ((i < APT_LOCK_TIMEOUT / 10)) || die "apt-get update kept failing"
    log "apt-get update failed (apt busy?); retrying in 10 s"
    sleep 10
  done
  # DPkg::Lock::Timeout makes apt wait for a concurrent apt/dpkg run instead of failing.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout="$APT_LOCK_TIMEOUT" \
    install -y --no-install-recommends "${missing[@]}" >&2
}

# ---------------------------------------------------------------------------------------------
# Private apt configuration (under the cache dir; the machine's /etc/apt is never touched):
# source packages from bookworm and trixie, single .debs from bookworm-backports. Used only to
# *download* (apt-get source --download-only, apt-get download); nothing is installed with it.
# ---------------------------------------------------------------------------------------------
PAPT_DIR="$CACHE_ROOT/apt"
PAPT=(-o Dir::Etc::SourceList="$PAPT_DIR/sources.list" -o Dir::Etc::SourceParts=/dev/null
  -o Dir::State::Lists="$PAPT_DIR/lists" -o Dir::Cache="$PAPT_DIR/cache"
  -o APT::Sandbox::User=root)
PAPT_UPDATED=0

papt_update() {
  local mirror keyring=/usr/share/keyrings/debian-archive-keyring.gpg signed=""
  mkdir -p "$PAPT_DIR/lists/partial" "$PAPT_DIR/cache/archives/partial"
  # The mirror of the machine's bookworm entry (Debian 12's deb822 debian.sources), if any.
  mirror="$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null)"
  mirror="${mirror:-http://deb.debian.org/debian}"
  [[ -f "$keyring" ]] && signed="[signed-by=$keyring] "
  cat >"$PAPT_DIR/sources.list" <<EOF
# Written by Cascade scripts/build-mediasoup-worker.sh (private; not in /etc/apt).
deb ${signed}$mirror bookworm-backports main
deb-src ${signed}$mirror bookworm main
deb-src ${signed}$mirror trixie main
EOF
  log "updating the private apt index in $PAPT_DIR"
  apt-get "${PAPT[@]}" update >&2 || die "apt-get update (private config $PAPT_DIR) failed"
  PAPT_UPDATED=1
}

# papt ARGS...: apt-get with the private config; refreshes the index once if the first try fails
# (a missing index, or a point release that replaced a version).
papt() {
  [[ -f "$PAPT_DIR/sources.list" ]] || papt_update
  apt-get "${PAPT[@]}" "$@" >&2 && return 0
  ((PAPT_UPDATED)) && return 1
  papt_update
  apt-get "${PAPT[@]}" "$@" >&2
}

# fetch_source NAME/SUITE DIR: download a Debian source package (.dsc, orig, debian tarballs).
# (No subshell: papt's index refresh must be remembered.)
fetch_source() {
  mkdir -p "$2"
  pushd "$2" >/dev/null
  papt source --download-only "$1" || die "apt-get source $1 failed"
  popd >/dev/null
}

# ---------------------------------------------------------------------------------------------
# Private dependency dirs: built in place, marked complete by a stamp file written last.
# ---------------------------------------------------------------------------------------------
dep_ready() { [[ -f "$1/.complete" ]]; }
dep_begin() { rm -rf "$1"; mkdir -p "$1"; }
dep_done() { echo "$2" >"$1/.complete"; }

# ---------------------------------------------------------------------------------------------
# libsrtp 2.5.0 (Debian bookworm's source; its orig tarball is upstream's v2.5.0) built with the
# OpenSSL crypto backend, static and PIC, into $DEPS_ROOT. Debian's own libsrtp2-1 uses NSS,
# which costs roughly 2x CPU per SRTP packet. Sets SRTP_PREFIX. Needs $MESON.
# ---------------------------------------------------------------------------------------------
LIBSRTP_VERSION=2.5.0
# sha256 of libsrtp2_2.5.0.orig.tar.gz = upstream libsrtp-2.5.0.tar.gz (mediasoup 3.12's wrap).
LIBSRTP_SHA256=8a43ef8e9ae2b665292591af62aa1a4ae41e468b6d98d8258f91478735da4e09

ensure_libsrtp() {
  SRTP_PREFIX="$DEPS_ROOT/libsrtp-$LIBSRTP_VERSION-openssl"
  if dep_ready "$SRTP_PREFIX"; then
    log "libsrtp $LIBSRTP_VERSION (OpenSSL, static): cached in $SRTP_PREFIX"
    return 0
  fi
  local src="$SCRATCH/srtp-src" orig dir
  fetch_source "libsrtp2/bookworm" "$src"
  orig="$src/libsrtp2_${LIBSRTP_VERSION}.orig.tar.gz"
  [[ -f "$orig" ]] || die "apt-get source did not fetch libsrtp2_${LIBSRTP_VERSION}.orig.tar.gz"
  echo "$LIBSRTP_SHA256  $orig" | sha256sum -c --status \
    || die "$orig does not match the pinned sha256 $LIBSRTP_SHA256"
  # Only the pristine upstream source is used (Debian's patches touch tests and packaging only).
  tar -xzf "$orig" -C "$src"
  dir="$src/libsrtp-$LIBSRTP_VERSION"
  [[ -f "$dir/meson.build" ]] || die "unexpected libsrtp tarball layout"
  log "building libsrtp $LIBSRTP_VERSION (OpenSSL backend, static) into $SRTP_PREFIX"
  dep_begin "$SRTP_PREFIX"
  $MESON setup "$SCRATCH/srtp-build" "$dir" \
    --prefix="$SRTP_PREFIX" --libdir=lib --buildtype=release \
    -Ddefault_library=static -Db_staticpic=true \
    -Dcrypto-library=openssl -Dcrypto-library-kdf=disabled \
    -Dtests=disabled -Dpcap-tests=disabled -Ddoc=disabled -Dfuzzer=disabled >&2
  ninja -C "$SCRATCH/srtp-build" -j"$JOBS" install >&2
  [[ -f "$SRTP_PREFIX/lib/libsrtp2.a" && -f "$SRTP_PREFIX/lib/pkgconfig/libsrtp2.pc" ]] \
    || die "libsrtp install incomplete in $SRTP_PREFIX"
  # Prove the OpenSSL backend is in: the AES-ICM cipher must call into libcrypto's EVP API.
  nm "$SRTP_PREFIX/lib/libsrtp2.a" 2>/dev/null | grep ' U EVP_EncryptInit_ex' >/dev/null \
    || die "libsrtp2.a was not built with the OpenSSL backend"
  dep_done "$SRTP_PREFIX" "libsrtp $LIBSRTP_VERSION, OpenSSL backend, static (orig sha256 $LIBSRTP_SHA256)"
}

# ---------------------------------------------------------------------------------------------
# Worker sources into $SCRATCH/worker: node_modules when it holds this very version (npm install
# --ignore-scripts leaves them there), else the npm tarball. Sets WORKER.
# ---------------------------------------------------------------------------------------------
fetch_worker_sources() {
  WORKER="$SCRATCH/worker"
  local nm="$ROOT_DIR/node_modules/mediasoup"
  if [[ -f "$nm/worker/meson.build" && "$(read_pkg_version "$nm/package.json")" == "$MS_VERSION" ]]; then
    log "worker sources: node_modules/mediasoup/worker"
    cp -a "$nm/worker" "$WORKER"
  else
    log "worker sources: npm pack mediasoup@$MS_VERSION"
    mkdir -p "$SCRATCH/npm"
    (cd "$SCRATCH/npm" && npm pack "mediasoup@$MS_VERSION" --silent >/dev/null) \
      || die "npm pack mediasoup@$MS_VERSION failed"
    tar -xzf "$SCRATCH/npm/mediasoup-$MS_VERSION.tgz" -C "$SCRATCH/npm"
    mv "$SCRATCH/npm/package/worker" "$WORKER"
  fi
  # Leftovers from an earlier in-tree build attempt must not leak into ours.
  rm -rf "$WORKER/out" "$WORKER/subprojects/packagecache"
}

# patch_dir SERIES: scripts/mediasoup-patches/<MS_VERSION>, else the newest dir of that series.
patch_dir() {
  local root="$ROOT_DIR/scripts/mediasoup-patches" d
  if [[ -d "$root/$MS_VERSION" ]]; then echo "$root/$MS_VERSION"; return; fi
  d="$(find "$root" -mindepth 1 -maxdepth 1 -type d -name "$1.*" -printf '%f\n' 2>/dev/null \
    | sort -V | tail -n1)"
  [[ -n "$d" ]] || die "no patches for mediasoup $1.x in $root"
  log "no patches for $MS_VERSION itself: using those of $d"
  echo "$root/$d"
}

# ---------------------------------------------------------------------------------------------
# Check the built binary's linkage and install it atomically into $DEST_DIR. $BUILD_INFO (text)
# goes into build-info.txt beside it.
# ---------------------------------------------------------------------------------------------
install_worker() {
  local built="$1" ldd_out tmp_bin
  [[ -x "$built" ]] || die "build finished but $built is missing"
  # Everything resolves, no NSS, libsrtp static (no libsrtp2.so), OpenSSL's libcrypto linked.
  ldd_out="$(ldd "$built")"
  printf '%s\n' "$ldd_out" | sed 's/^/[build-mediasoup-worker]   /' >&2
  ! grep -q 'not found' <<<"$ldd_out" || die "unresolved shared libraries (see ldd above)"
  ! grep -q 'libnss3' <<<"$ldd_out" || die "worker links libnss3: NSS libsrtp slipped in"
  ! grep -q 'libsrtp2\.so' <<<"$ldd_out" || die "worker links libsrtp2.so: expected static libsrtp"
  grep -q 'libcrypto\.so' <<<"$ldd_out" || die "worker does not link libcrypto (OpenSSL)"
  # Copy next to the destination, then rename (same filesystem): a reader never sees a
  # half-written binary.
  mkdir -p "$DEST_DIR"
  tmp_bin="$DEST_DIR/.mediasoup-worker.tmp.$$"
  install -m 755 "$built" "$tmp_bin"
  {
    echo "mediasoup $MS_VERSION worker, built $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -srm)"
    printf '%s\n' "$BUILD_INFO"
    echo "build took $((SECONDS - START_TS)) s with -j$JOBS"
    echo "ldd:"
    printf '%s\n' "$ldd_out"
  } >"$DEST_DIR/build-info.txt"
  mv -f "$tmp_bin" "$DEST_BIN"
}
