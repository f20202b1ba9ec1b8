#!/bin/sh
# Installs the Debian 12 packages this project needs, skipping those present.
# As root it runs apt-get; otherwise it prints the one apt-get line and fails.
# Each row: package, then a file that proves it is installed.
# `tools/deps.sh build`: only what building the service needs (make deb).
set -eu
rows='
g++                  /usr/bin/g++
lld                  /usr/bin/ld.lld
make                 /usr/bin/make
pkg-config           /usr/bin/pkg-config
libfcgi-dev          /usr/include/fcgiapp.h
spawn-fcgi           /usr/bin/spawn-fcgi
acl                  /usr/bin/setfacl
nginx-light          /usr/sbin/nginx
libcurl4-openssl-dev /usr/include/x86_64-linux-gnu/curl/curl.h
libsqlite3-dev       /usr/include/sqlite3.h
libpq-dev            /usr/include/postgresql/libpq-fe.h
postgresql-15        /usr/lib/postgresql/15/bin/initdb
libssl-dev           /usr/include/openssl/evp.h
nlohmann-json3-dev   /usr/include/nlohmann/json.hpp
libgtest-dev         /usr/include/gtest/gtest.h
libgmock-dev         /usr/include/gmock/gmock.h
python3-aiosmtpd     /usr/lib/python3/dist-packages/aiosmtpd/__init__.py
sqlite3              /usr/bin/sqlite3
curl                 /usr/bin/curl
systemd              /usr/bin/systemd-analyze
john-data            /usr/share/john/password.lst
wrk                  /usr/bin/wrk
clang                /usr/bin/clang++
libclang-rt-14-dev   /usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a
llvm-14              /usr/bin/llvm-symbolizer-14
chromium-headless-shell /usr/bin/chromium-headless-shell
fonts-dejavu-core    /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
nodejs               /usr/bin/node
npm                  /usr/bin/npm
postfix              /usr/sbin/postfix
openssl              /usr/bin/openssl
'
build_only='g++ lld make pkg-config libfcgi-dev libcurl4-openssl-dev libsqlite3-dev libssl-dev nlohmann-json3-dev libpq-dev'
missing=$(printf '%s\n' "$rows" | while read -r pkg probe; do
  [ -n "$pkg" ] || continue
  if [ "${1:-}" = build ]; then
    case " $build_only " in *" $pkg "*) ;; *) continue ;; esac
  fi
  # Any nginx flavour will do for nginx-light; any node/npm on PATH will do
  # (a nodesource node bundles npm and clashes with Debian's npm package).
  if [ "$pkg" = nginx-light ] && command -v nginx >/dev/null 2>&1; then continue; fi
  if [ "$pkg" = nodejs ] && command -v node >/dev/null 2>&1; then continue; fi
  if [ "$pkg" = npm ] && command -v npm >/dev/null 2>&1; then continue; fi
  [ -e "$probe" ] || printf '%s ' "$pkg"
done)
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages; run as root:" >&2
  echo "  apt-get update && apt-get install -y $missing" >&2
  exit 1
fi
echo "deps: installing $missing" >&2
export DEBIAN_FRONTEND=noninteractive
# Postfix asks what kind of mail server to be: none (the mail tests run a
# private instance of their own; nothing system-wide is set up or started).
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
# The Debian nginx package starts a system nginx on port 80 where it can;
# this project never needs it.
if command -v service >/dev/null 2>&1; then service nginx stop >/dev/null 2>&1 || true; fi
# Likewise Debian's postgresql-15 makes and starts a "main" cluster; the
# tests run throwaway clusters of their own (tests/pg_server.h).
if command -v pg_ctlcluster >/dev/null 2>&1; then pg_ctlcluster 15 main stop >/dev/null 2>&1 || true; fi
