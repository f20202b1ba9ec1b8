#!/bin/sh
# deb-depends.sh BINARY...: the Depends line of a package holding BINARY:
# the Debian package of every shared library the binaries need (their
# NEEDED entries), each at least at the upstream version installed here.
set -eu
sonames=$(for bin; do readelf -d "$bin"; done \
  | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort -u)
[ -n "$sonames" ] || { echo "deb-depends: no NEEDED entries in $*" >&2; exit 1; }
deps=
for soname in $sonames; do
  path=$(ldconfig -p | awk -v s="$soname" '$1 == s { print $NF; exit }')
  [ -n "$path" ] || { echo "deb-depends: $soname not found" >&2; exit 1; }
  # Merged /usr: dpkg may know the file under /usr or under /.
  pkg=$( (dpkg -S "$path" 2>/dev/null || dpkg -S "/usr$path" 2>/dev/null \
          || dpkg -S "${path#/usr}" 2>/dev/null || true) | head -n 1 | cut -d: -f1)
  [ -n "$pkg" ] || { echo "deb-depends: no package holds $path" >&2; exit 1; }
  version=$(dpkg-query -W -f '${Version}' "$pkg")
  version=${version#*:}
  deps="$deps$pkg (>= ${version%-*})
"
done
printf '%s' "$deps" | sort -u | paste -sd, | sed 's/,/, /g'
