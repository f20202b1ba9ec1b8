#!/usr/bin/env bash
# The package in a pristine Debian 12, as README.md's "Deploying on Debian
# 12" says. Run from the host (root):
#   ../shared/tools/fresh-debian.sh . tests/deploy/fresh-debian.sh
# which clones the committed HEAD into a fresh minbase root and runs this
# there: make deb, apt-get install the package on a host without systemd
# (the setup script's useradd/install fallback), lintian, then the test
# tools and tests/deploy/run.sh --fresh (the README's commands as written).
set -euo pipefail
cd "$(dirname "$0")/../.."
export DEBIAN_FRONTEND=noninteractive
echo "== make deb"
make deb > /tmp/make-deb.log 2>&1 || { tail -n 40 /tmp/make-deb.log; exit 1; }
deb=$(ls build/registrar_*.deb)
echo "== apt-get install -y ./$deb   (no systemd on this host yet)"
command -v systemd-sysusers >/dev/null && { echo "systemd is already here"; exit 1; }
apt-get install -y -q "./$deb" 2>&1 | tail -n 5
echo "== what the postinst made"
id registrar
ls -ld /var/lib/registrar /var/log/registrar /run/registrar /etc/registrar/registrar.env
ls /etc/nginx/sites-enabled/
echo "== lintian"
apt-get install -y -qq --no-install-recommends lintian > /dev/null
lintian_ok=1
lintian --fail-on error "$deb" || lintian_ok=0
echo "== test tools: systemd (systemd-analyze), python3-aiosmtpd (the sink), curl"
apt-get install -y -qq --no-install-recommends systemd python3-aiosmtpd curl > /dev/null
tests/deploy/run.sh --fresh
[ $lintian_ok = 1 ] || { echo "lintian found errors (above)"; exit 1; }
echo "lintian: no errors"
