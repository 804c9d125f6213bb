# Recipe for mediasoup 3.32.x (verified with 3.32.2; sourced by build-mediasoup-worker.sh).
#
# 3.32's worker wants, as meson wraps: libuv 1.51, openssl 3.0, libsrtp3 (versatica's fork),
# flatbuffers 24.3.25 (+ flatc at build time) and unordered_dense 5.3.2; meson >= 1.1. Offline,
# everything comes from Debian instead:
#   - meson 1.7.0: bookworm-backports .deb, unpacked into $DEPS_ROOT (run with PYTHONPATH);
#   - libuv 1.44.2 and OpenSSL 3.0.x: bookworm's libuv1-dev / libssl-dev (every libuv call the
#     worker makes exists in 1.44), linked dynamically;
#   - libsrtp 2.5.0 (OpenSSL backend, static) plus the worker patch to the 2.x API
#     (scripts/mediasoup-patches/3.32.x/libsrtp2-api.patch); no Debian suite has libsrtp 3;
#   - flatbuffers 23.5.26 (library + flatc): trixie's source, cmake, static, in $DEPS_ROOT. No
#     suite has 24.x; the generated headers only assert they match the flatc that made them,
#     and mediasoup's Node side (npm flatbuffers 25.x) reads the same wire format;
#   - unordered_dense (header only, not packaged by Debian): the copy that trixie's rspamd
#     source ships (contrib/ankerl, 4.4.0), with a pkg-config file so that the worker's
#     `dependency('unordered_dense')` finds it.
# ~6 minutes on 2 cores from nothing (measured 338 s), ~3.5 when deps/ is cached.

FLATBUFFERS_VERSION=23.5.26
UNORDERED_DENSE_MIN=4.4.0
MESON_MIN=1.1.0

# newest_dep NAME: the newest complete $DEPS_ROOT/NAME-<version> dir, if any.
newest_dep() {
  local d
  d="$(find "$DEPS_ROOT" -mindepth 2 -maxdepth 2 -path "$DEPS_ROOT/$1-*/.complete" -printf '%h\n' \
    2>/dev/null | sort -V | tail -n1)"
  [[ -n "$d" ]] && echo "$d"
}

version_ge() { dpkg --compare-versions "$1" ge "$2"; }

ensure_meson_bpo() {
  local dir deb ver
  dir="$(newest_dep meson || true)"
  if [[ -z "$dir" ]]; then
    mkdir -p "$SCRATCH/debs"
    pushd "$SCRATCH/debs" >/dev/null
    papt download meson/bookworm-backports || die "apt-get download meson/bookworm-backports failed"
    popd >/dev/null
    deb="$(find "$SCRATCH/debs" -name 'meson_*.deb' | head -n1)"
    [[ -n "$deb" ]] || die "no meson .deb downloaded"
    ver="$(dpkg-deb -f "$deb" Version)"
    ver="${ver%%-*}"
    version_ge "$ver" "$MESON_MIN" || die "bookworm-backports has meson $ver, need >= $MESON_MIN"
    dir="$DEPS_ROOT/meson-$ver"
    log "unpacking meson $ver (bookworm-backports) into $dir"
    dep_begin "$dir"
    dpkg-deb -x "$deb" "$dir"
    dep_done "$dir" "meson $(dpkg-deb -f "$deb" Version) from bookworm-backports"
  fi
  # Exported for every later call: ninja's regenerate step re-runs this meson, and without the
  # path it would pick up the system's meson 1.0.1 modules.
  export PYTHONPATH="$dir/usr/lib/python3/dist-packages${PYTHONPATH:+:$PYTHONPATH}"
  MESON="/usr/bin/python3 $dir/usr/bin/meson"
  ver="$($MESON --version)" || die "meson from $dir does not run"
  version_ge "$ver" "$MESON_MIN" || die "meson $ver in $dir is older than $MESON_MIN"
  log "meson $ver: $dir"
  MESON_VERSION="$ver"
}

ensure_flatbuffers() {
  FLATBUFFERS_PREFIX="$DEPS_ROOT/flatbuffers-$FLATBUFFERS_VERSION"
  if dep_ready "$FLATBUFFERS_PREFIX"; then
    log "flatbuffers $FLATBUFFERS_VERSION: cached in $FLATBUFFERS_PREFIX"
    return 0
  fi
  local src="$SCRATCH/flatbuffers-src" orig dir
  fetch_source "flatbuffers/trixie" "$src"
  orig="$(find "$src" -maxdepth 1 -name "flatbuffers_${FLATBUFFERS_VERSION}*.orig.tar.*" | head -n1)"
  [[ -n "$orig" ]] || die "trixie's flatbuffers source is not $FLATBUFFERS_VERSION (see $src)"
  tar -xf "$orig" -C "$src"
  dir="$(find "$src" -mindepth 1 -maxdepth 1 -type d -name "flatbuffers-${FLATBUFFERS_VERSION}*" | head -n1)"
  [[ -f "$dir/CMakeLists.txt" ]] || die "unexpected flatbuffers tarball layout"
  log "building flatbuffers $FLATBUFFERS_VERSION (flatc + static library; ~3 min) into $FLATBUFFERS_PREFIX"
  dep_begin "$FLATBUFFERS_PREFIX"
  cmake -S "$dir" -B "$SCRATCH/flatbuffers-build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_INSTALL_PREFIX="$FLATBUFFERS_PREFIX" -DCMAKE_INSTALL_LIBDIR=lib \
    -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
    -DFLATBUFFERS_BUILD_TESTS=OFF -DFLATBUFFERS_BUILD_FLATHASH=OFF >&2
  ninja -C "$SCRATCH/flatbuffers-build" -j"$JOBS" install >&2
  [[ "$("$FLATBUFFERS_PREFIX/bin/flatc" --version)" == "flatc version $FLATBUFFERS_VERSION" ]] \
    || die "flatc in $FLATBUFFERS_PREFIX is not $FLATBUFFERS_VERSION"
  [[ -f "$FLATBUFFERS_PREFIX/lib/pkgconfig/flatbuffers.pc" ]] || die "flatbuffers.pc not installed"
  dep_done "$FLATBUFFERS_PREFIX" "flatbuffers $FLATBUFFERS_VERSION from trixie ($(basename "$orig"))"
}

ensure_unordered_dense() {
  UNORDERED_DENSE_PREFIX="$(newest_dep unordered_dense || true)"
  if [[ -n "$UNORDERED_DENSE_PREFIX" ]]; then
    log "unordered_dense: cached in $UNORDERED_DENSE_PREFIX"
    return 0
  fi
  local src="$SCRATCH/rspamd-src" orig hdr ver part
  fetch_source "rspamd/trixie" "$src"
  orig="$(find "$src" -maxdepth 1 -name 'rspamd_*.orig.tar.*' | head -n1)"
  [[ -n "$orig" ]] || die "no rspamd orig tarball in $src"
  tar -xf "$orig" -C "$src" --wildcards '*/contrib/ankerl/unordered_dense.h' '*/contrib/ankerl/LICENSE' \
    || die "$(basename "$orig") has no contrib/ankerl/unordered_dense.h"
  hdr="$(find "$src" -path '*/contrib/ankerl/unordered_dense.h' | head -n1)"
  ver=""
  for part in MAJOR MINOR PATCH; do
    ver+="$(sed -n "s/^#define ANKERL_UNORDERED_DENSE_VERSION_$part \([0-9]*\).*/\1/p" "$hdr")."
  done
  ver="${ver%.}"
  [[ "$ver" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "cannot read the unordered_dense version of $hdr"
  version_ge "$ver" "$UNORDERED_DENSE_MIN" \
    || die "rspamd's unordered_dense is $ver, need >= $UNORDERED_DENSE_MIN"
  UNORDERED_DENSE_PREFIX="$DEPS_ROOT/unordered_dense-$ver"
  log "unordered_dense $ver (from $(basename "$orig")) into $UNORDERED_DENSE_PREFIX"
  dep_begin "$UNORDERED_DENSE_PREFIX"
  install -D -m 644 "$hdr" "$UNORDERED_DENSE_PREFIX/include/ankerl/unordered_dense.h"
  install -D -m 644 "$(dirname "$hdr")/LICENSE" "$UNORDERED_DENSE_PREFIX/share/doc/unordered_dense/LICENSE"
  mkdir -p "$UNORDERED_DENSE_PREFIX/lib/pkgconfig"
  cat >"$UNORDERED_DENSE_PREFIX/lib/pkgconfig/unordered_dense.pc" <<EOF
prefix=$UNORDERED_DENSE_PREFIX
includedir=\${prefix}/include

Name: unordered_dense
Description: ankerl::unordered_dense (header only; copy shipped in Debian's rspamd source)
Version: $ver
Cflags: -I\${includedir}
EOF
  dep_done "$UNORDERED_DENSE_PREFIX" "unordered_dense $ver from trixie's $(basename "$orig")"
}

recipe_3_32() {
  # /usr/bin/python3 runs the backports meson; cmake builds flatbuffers.
  ensure_apt_packages build-essential pkg-config ninja-build cmake python3 libssl-dev libuv1-dev \
    dpkg-dev patch xz-utils
  local pd
  pd="$(patch_dir 3.32)"

  ensure_meson_bpo
  ensure_libsrtp
  ensure_flatbuffers
  ensure_unordered_dense

  fetch_worker_sources
  local wrap
  for wrap in libuv openssl libsrtp3 flatbuffers unordered-dense; do
    [[ -f "$WORKER/subprojects/$wrap.wrap" ]] \
      || die "missing $WORKER/subprojects/$wrap.wrap (unexpected mediasoup $MS_VERSION worker layout)"
  done
  log "mediasoup pins $(sed -n 's/^directory = //p' "$WORKER"/subprojects/{libuv,libsrtp3,flatbuffers,unordered-dense}.wrap | tr '\n' ' ')"
  # Deleting the wraps guarantees meson never tries to download a subproject.
  rm -f "$WORKER"/subprojects/*.wrap

  log "patching the worker: libsrtp 2.x API ($pd/libsrtp2-api.patch)"
  patch -d "$WORKER" -p1 --forward --batch <"$pd/libsrtp2-api.patch" >&2 \
    || die "libsrtp2-api.patch does not apply to mediasoup $MS_VERSION"
  python3 "$pd/patch-meson.py" "$WORKER" >&2

  # flatc through meson's native file (find_program('flatc') checks it first).
  printf "[binaries]\nflatc = '%s'\n" "$FLATBUFFERS_PREFIX/bin/flatc" >"$SCRATCH/native.ini"
  log "configuring and building mediasoup-worker (ninja -j$JOBS)"
  (
    export PKG_CONFIG_PATH="$SRTP_PREFIX/lib/pkgconfig:$FLATBUFFERS_PREFIX/lib/pkgconfig:$UNORDERED_DENSE_PREFIX/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
    cd "$WORKER"
    $MESON setup --native-file "$SCRATCH/native.ini" --buildtype release -Db_ndebug=true \
      --wrap-mode=nodownload out/Release >&2
    ninja -C out/Release -j"$JOBS" mediasoup-worker >&2
  )
  BUILT="$WORKER/out/Release/mediasoup-worker"
  BUILD_INFO="meson $MESON_VERSION (bookworm-backports)
libsrtp $LIBSRTP_VERSION static, OpenSSL backend (bookworm source, orig sha256 $LIBSRTP_SHA256), worker patched to the 2.x API
$(cat "$FLATBUFFERS_PREFIX/.complete"), static
$(cat "$UNORDERED_DENSE_PREFIX/.complete")
Debian bookworm: $(deb_versions libssl-dev libuv1-dev)
patches: $pd"
}
