#!/bin/bash
# Kiln's build entry point, run as root inside a fresh build container with
# the network off. Installs the dependency packages uploaded to
# /kiln/install, then runs makepkg as the unprivileged user `builder` in
# /build, writing packages to /kiln/out. Everything goes to stdout so the log
# keeps its order.
set -euo pipefail
exec 2>&1

if ! id -u builder >/dev/null 2>&1; then
  useradd --create-home --uid 1000 --user-group builder
fi
mkdir -p /kiln/out /var/lib/pacman
chown builder: /kiln/out
# Let root create the local package database, which makepkg reads (as
# builder) for the .BUILDINFO.
pacman --query --dbpath /var/lib/pacman >/dev/null 2>&1 || true
chown -R builder: /build

shopt -s nullglob
deps=(/kiln/install/*.pkg.tar*)
if ((${#deps[@]})); then
  echo "==> kiln: installing ${#deps[@]} dependency package(s)"
  # Dependency packages come from this farm's own builds, unsigned.
  cat >/kiln/pacman.conf <<'CONF'
[options]
Architecture = auto
SigLevel = Never
LocalFileSigLevel = Optional
CONF
  pacman --upgrade --noconfirm --noprogressbar --nodeps --nodeps --config /kiln/pacman.conf \
    --dbpath /var/lib/pacman "${deps[@]}"
  ldconfig 2>/dev/null || true
fi

echo "==> kiln: running makepkg as builder"
cd /build
exec setpriv --reuid=builder --regid=builder --init-groups \
  env HOME="$(getent passwd builder | cut -d: -f6)" USER=builder LOGNAME=builder \
  PKGDEST=/kiln/out PKGEXT=.pkg.tar.zst \
  makepkg --nodeps --noconfirm --noprogressbar
