# Recipe for mediasoup 3.12.x (verified with 3.12.16; sourced by build-mediasoup-worker.sh).
# The worker's meson subprojects are replaced by Debian bookworm's system packages (same or
# close versions); libsrtp 2.5.0, the version 3.12 pins, is built from Debian's source with the
# OpenSSL backend and linked statically. ~3 minutes on 2 cores.

recipe_3_12() {
  ensure_apt_packages build-essential pkg-config meson ninja-build libssl-dev libuv1-dev \
    libusrsctp-dev nlohmann-json3-dev libabsl-dev dpkg-dev
  MESON=meson

  fetch_worker_sources
  # The libsrtp hash mediasoup pins; read it before the wrap files are deleted.
  local wrap="$WORKER/subprojects/libsrtp2.wrap" pinned
  [[ -f "$wrap" ]] || die "missing $wrap (unexpected mediasoup worker layout)"
  pinned="$(sed -n 's/^source_hash[[:space:]]*=[[:space:]]*//p' "$wrap" | tr -d '[:space:]')"
  grep -q "libsrtp-$LIBSRTP_VERSION" "$wrap" \
    || die "mediasoup $MS_VERSION does not pin libsrtp $LIBSRTP_VERSION (see $wrap)"
  [[ "$pinned" == "$LIBSRTP_SHA256" ]] \
    || die "mediasoup $MS_VERSION pins libsrtp sha256 $pinned, not $LIBSRTP_SHA256"
  # Deleting the wraps guarantees meson never tries to download a subproject.
  rm -f "$WORKER"/subprojects/*.wrap

  ensure_libsrtp

  log "patching worker meson.build for system dependencies"
  python3 "$(patch_dir 3.12)/patch-meson.py" "$WORKER" >&2

  # Our libsrtp prefix goes first in PKG_CONFIG_PATH so it wins over any system libsrtp2-dev
  # (NSS) that may get installed later.
  log "configuring and building mediasoup-worker (ninja -j$JOBS)"
  (
    export PKG_CONFIG_PATH="$SRTP_PREFIX/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
    cd "$WORKER"
    $MESON setup --buildtype release -Db_ndebug=true --wrap-mode=nodownload out/Release >&2
    ninja -C out/Release -j"$JOBS" mediasoup-worker >&2
  )
  BUILT="$WORKER/out/Release/mediasoup-worker"
  BUILD_INFO="libsrtp $LIBSRTP_VERSION static, OpenSSL backend (orig sha256 $LIBSRTP_SHA256)
Debian bookworm: $(deb_versions libssl-dev libuv1-dev \
    libusrsctp-dev libabsl-dev meson)"
}
