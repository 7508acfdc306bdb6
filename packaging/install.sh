#!/bin/sh
# Installs sugar-server from this folder, with no network:
#   sudo ./install.sh [--key FILE]
# Checks every file against SHA256SUMS and, when the bundle is signed, the
# signature against the deployment's public feed key (--key FILE, by default
# /etc/sugar-server/deployment-root.pub). Then installs the Debian packages
# this system lacks, the Node runtime and sugar-server, which starts itself.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
key=/etc/sugar-server/deployment-root.pub
key_given=no

while [ $# -gt 0 ]; do
  case "$1" in
    --key) [ $# -ge 2 ] || { echo "install.sh: --key needs a file" >&2; exit 2; }; key=$2; key_given=yes; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

if [ "$(id -u)" != 0 ]; then
  echo "install.sh: run as root (sudo ./install.sh)" >&2
  exit 1
fi
cd "$here"

if ! sha256sum --check --quiet --strict SHA256SUMS; then
  echo "install.sh: files of this bundle do not match SHA256SUMS; copy the bundle again" >&2
  exit 1
fi

if [ -e SHA256SUMS.sig ]; then
  if [ ! -r "$key" ]; then
    [ $key_given = yes ] && echo "install.sh: cannot read the key $key" >&2 || \
      echo "install.sh: this bundle is signed; give the deployment's public key with --key FILE" >&2
    exit 1
  fi
  check=$(mktemp -d)
  trap 'rm -rf "$check"' EXIT
  dpkg-deb -x debs/sugar-server-node_*_amd64.deb "$check"
  dpkg-deb -x sugar-server_*_amd64.deb "$check"
  "$check/usr/lib/sugar-server/node/bin/node" verify-sums.mjs "$check/usr/lib/sugar-server" "$key" "$here"
else
  echo "install.sh: this bundle is not signed; its files match SHA256SUMS"
fi

# Debian packages only when this system has none of that name: never a downgrade.
set --
for deb in debs/*.deb; do
  name=$(dpkg-deb --field "$deb" Package)
  if [ "$name" = sugar-server-node ] || ! dpkg-query --show --showformat='${db:Status-Status}' "$name" 2>/dev/null | grep -qx installed; then
    set -- "$@" "$deb"
  fi
done
dpkg --install "$@" sugar-server_*_amd64.deb

echo
echo "sugar-server $(dpkg-query --show --showformat='${Version}' sugar-server) is installed."
echo "  configuration: /etc/sugar-server/sugar-server.conf (local changes in conf.d/)"
echo "  check it:      sugar-server check-config"
echo "  how it runs:   systemctl status sugar-server; sugar-server status"
echo "  admin token:   /etc/sugar-server/admin.token"
