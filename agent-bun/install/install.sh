#!/bin/sh
# RedFlag agent installer for Linux, served by the RedFlag server as /install.sh:
#   curl -fsSL http://SERVER:8080/install.sh | sh -s -- --token rf_reg_... [--fingerprint SHA256:...]
#   curl -fsSL http://SERVER:8080/install.sh | sh -s -- --uninstall [--purge]
# With two servers on one database (docs/failover.md), add --also-server URL for each other server:
# the agent fails over to them when this one is away, and comes back to it.
# It downloads the agent for this CPU and libc, checks its SHA-256 against the server's SHA256SUMS
# and, given the server's key fingerprint, the signature over SHA256SUMS; the agent then installs
# itself as a systemd service (redflag-agent --install-service). Running it again upgrades the agent
# and keeps its registration.
set -eu

server='@REDFLAG_SERVER_URL@'
also_servers=''
token=''
fingerprint=''
uninstall=''
purge=''
installed=/usr/local/bin/redflag-agent

say() { printf 'redflag install: %s\n' "$*"; }
fail() {
  printf 'redflag install: %s\n' "$*" >&2
  exit 1
}

usage() {
  cat <<USAGE
Usage: install.sh --token TOKEN [--fingerprint SHA256:...] [--server URL] [--also-server URL]...
       install.sh --uninstall [--purge]
USAGE
}

while [ $# -gt 0 ]; do
  case $1 in
    --token) [ $# -ge 2 ] || fail "--token needs a value"; token=$2; shift 2 ;;
    --token=*) token=${1#--token=}; shift ;;
    --fingerprint) [ $# -ge 2 ] || fail "--fingerprint needs a value"; fingerprint=$2; shift 2 ;;
    --fingerprint=*) fingerprint=${1#--fingerprint=}; shift ;;
    --server) [ $# -ge 2 ] || fail "--server needs a value"; server=$2; shift 2 ;;
    --server=*) server=${1#--server=}; shift ;;
    --also-server) [ $# -ge 2 ] || fail "--also-server needs a value"; also_servers="$also_servers $2"; shift 2 ;;
    --also-server=*) also_servers="$also_servers ${1#--also-server=}"; shift ;;
    --uninstall) uninstall=1; shift ;;
    --purge) purge=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; fail "unknown argument: $1" ;;
  esac
done

case $server in
  http://* | https://*) server=${server%/} ;;
  *) fail "the server URL must start with http:// or https:// (give --server URL)" ;;
esac
for also in $also_servers; do
  case $also in
    http://* | https://*) ;;
    *) fail "--also-server $also: the server URL must start with http:// or https://" ;;
  esac
done
[ -z "$purge" ] || [ -n "$uninstall" ] || fail "--purge goes with --uninstall"
case $fingerprint in
  '' | SHA256:*) ;;
  *) fail "--fingerprint must look like SHA256:... (as the dashboard shows it)" ;;
esac

# Root runs everything itself; anyone else goes through sudo, when there is one.
as_root=''
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 ||
    fail "this needs root and sudo is not installed: run it in a root shell (su -), without sudo"
  as_root=sudo
fi

if [ -n "$uninstall" ]; then
  if [ ! -x "$installed" ]; then
    say "no agent at $installed: nothing to uninstall"
    exit 0
  fi
  if [ -n "$purge" ]; then
    $as_root "$installed" --uninstall-service --purge
  else
    $as_root "$installed" --uninstall-service
  fi
  exit 0
fi

case $(uname -m) in
  x86_64 | amd64) cpu=x64 ;;
  aarch64 | arm64) cpu=arm64 ;;
  *) fail "no agent is built for this CPU ($(uname -m)); there are x86_64 and aarch64 builds" ;;
esac
# glibc answers GNU_LIBC_VERSION; a glibc host may still have musl's loader installed beside it.
libc=glibc
if ! getconf GNU_LIBC_VERSION >/dev/null 2>&1 &&
  { ls /lib/ld-musl-*.so.1 >/dev/null 2>&1 || { ldd --version 2>&1 | grep -qi musl; }; }; then
  libc=musl
fi
target=redflag-agent-linux-$cpu
[ "$libc" = glibc ] || target=$target-musl
say "chose $target ($(uname -m), $libc)"
# Bun's musl runtime loads libstdc++.so.6 (with libgcc_s), which Alpine does not install by default.
if [ "$libc" = musl ] && ! ls /usr/lib/libstdc++.so.6 /lib/libstdc++.so.6 >/dev/null 2>&1; then
  command -v apk >/dev/null 2>&1 ||
    fail "the musl agent needs libstdc++.so.6 and libgcc_s: install your distribution's libstdc++, then run this again"
  say "the musl agent needs libstdc++: apk add libstdc++"
  $as_root apk add --no-cache libstdc++ || fail "apk add libstdc++ failed: install it, then run this again"
fi

if command -v curl >/dev/null 2>&1; then
  download() { curl -fsSL --retry 2 -o "$2" "$server/$1"; }
elif command -v wget >/dev/null 2>&1; then
  download() { wget -q -O "$2" "$server/$1"; }
else
  fail "neither curl nor wget is installed"
fi
if command -v sha256sum >/dev/null 2>&1; then
  sha256() { sha256sum "$1" | cut -d ' ' -f 1; }
elif command -v shasum >/dev/null 2>&1; then
  sha256() { shasum -a 256 "$1" | cut -d ' ' -f 1; }
else
  fail "neither sha256sum nor shasum is installed: cannot check the download"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
download downloads/SHA256SUMS "$work/SHA256SUMS" || fail "cannot download $server/downloads/SHA256SUMS"
download "downloads/$target" "$work/$target" || fail "cannot download $server/downloads/$target"
expected=$(awk -v name="$target" '$2 == name || $2 == "*" name { print $1 }' "$work/SHA256SUMS")
[ -n "$expected" ] || fail "$target is not listed in the server's SHA256SUMS"
actual=$(sha256 "$work/$target")
[ "$actual" = "$expected" ] || fail "$target does not match SHA256SUMS (got $actual, expected $expected)"
say "SHA-256 matches SHA256SUMS"

if [ -z "$fingerprint" ]; then
  say "no --fingerprint given: the server's signature is not checked (copy the one-liner from the dashboard's Add agent page to check it)"
elif command -v openssl >/dev/null 2>&1; then
  download downloads/SHA256SUMS.sig "$work/SHA256SUMS.sig" || fail "cannot download the signature"
  download downloads/signing-key.pem "$work/signing-key.pem" || fail "cannot download the signing key"
  # The fingerprint is SHA256: and the unpadded base64 SHA-256 of the raw 32-byte Ed25519 key,
  # which ends its DER form.
  key_fingerprint=SHA256:$(openssl pkey -pubin -in "$work/signing-key.pem" -outform DER | tail -c 32 |
    openssl dgst -sha256 -binary | openssl base64 -A | tr -d '=') || fail "the server's signing key cannot be read"
  [ "$key_fingerprint" = "$fingerprint" ] ||
    fail "the server's signing key is $key_fingerprint, not the $fingerprint you gave: not installing"
  openssl pkeyutl -verify -pubin -inkey "$work/signing-key.pem" -rawin \
    -in "$work/SHA256SUMS" -sigfile "$work/SHA256SUMS.sig" >/dev/null ||
    fail "SHA256SUMS is not signed by the server's key $fingerprint: not installing"
  say "SHA256SUMS is signed by $fingerprint"
else
  say "openssl is not installed, so the signature is checked by the agent itself while it installs"
fi

# Run from beside its final place: /tmp is often mounted noexec. The agent moves itself into place.
staged=$(dirname "$installed")/.redflag-agent.install-$$
$as_root mkdir -p "$(dirname "$installed")"
$as_root cp "$work/$target" "$staged"
trap 'rm -rf "$work"; $as_root rm -f "$staged"' EXIT INT TERM
$as_root chmod 0755 "$staged"
set -- --install-service --server "$server"
# The agent checks each URL (at most 8, none twice) and fails over between them in this order.
for also in $also_servers; do set -- "$@" --server "${also%/}"; done
[ -z "$token" ] || set -- "$@" --token "$token"
[ -z "$fingerprint" ] || set -- "$@" --fingerprint "$fingerprint"
status=0
$as_root "$staged" "$@" || status=$?
# 10: installed and registered, but without systemd there is no service (the agent said what to run).
[ "$status" -ne 10 ] || say "installed without a service: see above for how to start it"
exit "$status"
