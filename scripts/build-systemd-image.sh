#!/bin/sh
# Builds the root of a minimal Debian 12 host with systemd as PID 1, for the agent's systemd-service
# end-to-end test (test/agent/systemd-service.e2e.ts), which `docker import`s it into the dockerd it
# starts. debootstrap needs Debian's mirror, so this runs once in CI's install step, not per test.
# Usage: scripts/build-systemd-image.sh [TARBALL]   (default: the path the test reads)
# The default name carries the recipe's version: change it with the recipe, so that a machine
# holding an older root builds the new one.
set -eu
tarball=${1:-${REDFLAG_SYSTEMD_ROOT_TAR:-/var/cache/redflag/debian-systemd-12-v2.tar}}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
[ "$(id -u)" -eq 0 ] || { echo "build-systemd-image.sh: debootstrap needs root" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "build-systemd-image.sh: apt-get install debootstrap" >&2; exit 1; }
if [ -s "$tarball" ]; then
  echo "build-systemd-image.sh: $tarball already exists"
  exit 0
fi
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
# curl and ca-certificates for the one-line installer, openssl for its signature check, sudo for
# running it as a user, procps for the test's look at the agent's process.
debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,curl,ca-certificates,openssl,sudo,procps \
  bookworm "$root" "$mirror"
# A container has no consoles to log in on, and nothing here should reach the network by itself.
rm -f "$root"/etc/systemd/system/getty.target.wants/* \
  "$root"/etc/systemd/system/timers.target.wants/apt-daily*.timer
# dbus-daemon never finishes starting in a container on these machines (its inotify setup is
# refused), which holds multi-user.target and keeps systemd "starting"; nothing the test runs needs
# D-Bus or logind (systemctl as root talks to systemd over its private socket).
for unit in dbus.service dbus.socket systemd-logind.service; do
  ln -sf /dev/null "$root/etc/systemd/system/$unit"
done
apt_get_clean() { rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*_Packages; }
apt_get_clean
# mktemp made the root 0700: a host's / lets every user through.
chmod 0755 "$root"
mkdir -p "$(dirname "$tarball")"
tar -C "$root" -cf "$tarball.partial" .
mv "$tarball.partial" "$tarball"
echo "build-systemd-image.sh: wrote $tarball ($(du -h "$tarball" | cut -f1))"
