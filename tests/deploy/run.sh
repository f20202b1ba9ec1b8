#!/usr/bin/env bash
# The deployment test (a phase of `make test`, run once): deploys the way
# README.md's "Deploying on Debian 12" says and uses it as a visitor would.
#
#   tests/deploy/run.sh            on this host: `make install` into a
#                                  scratch DESTDIR, the README's commands
#                                  run with paths, ports and users rewritten
#                                  into a scratch folder
#   tests/deploy/run.sh --fresh    in a pristine Debian 12 (see
#                                  tests/deploy/fresh-debian.sh): the package
#                                  installed for real, the README's commands
#                                  run as written
#
# Checks: the installed files and their modes; the package's contents,
# conffiles and maintainer scripts; both service units' sandbox score
# (systemd-analyze security --offline=true, at most 2.0) and what their
# system-call filters let through (what the workers need) and keep out;
# the README's spawn-fcgi command as root, dropping to the service user,
# with a socket only nginx's user can connect to; the installed nginx
# site in front; register, follow the mailed link, verify; regctl on the
# same data; a worker that cannot start says why, and its start fails
# leaving no pid file or socket; stop signals no pid planted in the pid file; SIGTERM
# leaves no pid file or socket; the supervised variant (the spawn-fcgi
# unit's commands as its user, in its runtime folder: www-data connects,
# no other user does); the README's plain-HTTP trial; removal (postrm
# purge: the site's link goes, DATA_DIR stays).
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
fresh=0
[ "${1:-}" = --fresh ] && fresh=1
[ "$(id -u)" -eq 0 ] || { echo "deploy test: needs root (spawn-fcgi -u, nginx user)" >&2; exit 1; }

failures=0
ok() { printf '  ok    %s\n' "$*"; }
bad() { printf '  FAIL  %s\n' "$*"; failures=$((failures + 1)); }
check() {  # check DESCRIPTION COMMAND...
  local what=$1
  shift
  if "$@" >/dev/null 2>&1; then ok "$what"; else bad "$what"; fi
}
# wait_for SECONDS COMMAND...: polls COMMAND every 0.05 s until it succeeds.
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.05
  done
}
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

work=$(mktemp -d /tmp/registrar-deploy-XXXXXX)
chmod 0755 "$work"  # nginx's workers (www-data) read the static files in it
pids=()
cleanup() {
  local p
  if [ -s "$run_dir/registrar.pid" ]; then
    for p in $(cat "$run_dir/registrar.pid"); do kill -TERM "$p" 2>/dev/null || true; done
  fi
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  [ "${KEEP:-0}" = 1 ] && echo "kept $work" || rm -rf "$work"
}
run_dir=$work/run
trap cleanup EXIT

port=$(free_port)
internal_port=$(free_port)
while [ "$internal_port" = "$port" ]; do internal_port=$(free_port); done

if [ $fresh -eq 1 ]; then
  # The package on a pristine host: every path as installed.
  root=
  svc_user=registrar
  svc_group=registrar
  run_dir=/run/registrar
  access_log=/var/log/nginx/registrar.access.log
  log_dir=/var/log/registrar
  data_dir=/var/lib/registrar
  env_file=/etc/registrar/registrar.env
  workers=/usr/lib/registrar/workers
  # Only the internal port and the mail server change (the public port:
  # the README's plain-HTTP trial).
  rewrite() {
    sed -e "s|127.0.0.1:8081|127.0.0.1:$internal_port|g"
  }
else
  root=$work/root
  access_log=$work/registrar.access.log
  svc_user=nobody
  svc_group=nogroup
  log_dir=$work/log
  data_dir=$work/data
  env_file=$work/registrar.env
  workers=$work/workers
  echo "deploy test: make install DESTDIR=$root PREFIX=/usr"
  make --no-print-directory -s install DESTDIR="$root" PREFIX=/usr >/dev/null
  # Every absolute path of the deployment, moved into $work; the service
  # user is nobody (this host has no registrar user; tests create none).
  rewrite() {
    sed -e "s|/etc/registrar/registrar.env|$env_file|g" \
        -e "s|/etc/registrar/nginx-internal.conf|$work/nginx-internal.conf|g" \
        -e "s|/usr/lib/registrar/workers|$workers|g" \
        -e "s|/usr/lib/registrar/|$root/usr/lib/registrar/|g" \
        -e "s|/usr/share/registrar\([/;]\)|$root/usr/share/registrar\1|g" \
        -e "s|/usr/sbin/regctl|$root/usr/sbin/regctl|g" \
        -e "s|/run/registrar|$run_dir|g" -e "s|/var/log/registrar|$log_dir|g" \
        -e "s|/var/lib/registrar|$data_dir|g" -e "s|/var/log/nginx/|$work/|g" \
        -e "s|-u registrar -g registrar|-u $svc_user -g $svc_group|g" \
        -e "s|runuser -u registrar|runuser -u $svc_user|g" \
        -e '/ssl_certificate/d' \
        -e "s|127.0.0.1:8081|127.0.0.1:$internal_port|g"
  }
fi

echo "deploy test: installed files"
for f in usr/lib/registrar/registrar usr/sbin/regctl usr/lib/registrar/setup \
         usr/lib/registrar/workers; do
  check "/$f is executable" test -x "$root/$f"
done
for f in usr/share/registrar/static/app.css usr/share/registrar/nginx/client_key.conf \
         usr/share/registrar/nginx/error_pages.conf usr/share/registrar/errors/502.en.html \
         usr/share/registrar/errors/413.fr.json \
         usr/share/registrar/lang/en.json usr/share/registrar/lang/de.json \
         usr/share/registrar/lang/fr.json \
         lib/systemd/system/registrar.service \
         lib/systemd/system/registrar.socket lib/systemd/system/registrar-spawn-fcgi.service \
         usr/lib/sysusers.d/registrar.conf usr/lib/tmpfiles.d/registrar.conf \
         etc/nginx/sites-available/registrar etc/logrotate.d/registrar; do
  check "/$f is there" test -s "$root/$f"
done
check "/etc/registrar/registrar.env is mode 0640" \
  test "$(stat -c %a "$root/etc/registrar/registrar.env")" = 640
check "the nginx site is not enabled by the install" \
  test ! -e "$root/etc/nginx/sites-enabled/registrar"

echo "deploy test: the service unit's sandbox"
if command -v systemd-analyze >/dev/null; then
  for unit_ceiling in registrar.service:2.0 registrar-spawn-fcgi.service:2.0; do
    unit=${unit_ceiling%%:*} ceiling=${unit_ceiling##*:}
    score=$(systemd-analyze security --offline=true --no-pager \
              "$root/lib/systemd/system/$unit" 2>&1 \
            | sed -n "s/.*Overall exposure level for $unit: \\([0-9.]*\\).*/\\1/p")
    check "systemd-analyze security --offline=true $unit: ${score:-no score} <= $ceiling" \
      awk -v s="${score:-99}" -v c="$ceiling" 'BEGIN { exit !(s <= c) }'
  done
  # What each unit's SystemCallFilter= lines let through, read in order as
  # systemd does: the first, an allow list, sets the calls; each later
  # line adds its calls, a ~ line takes them away. Groups (@name) expanded
  # from systemd-analyze's own table.
  systemd-analyze syscall-filter --no-pager > "$work/syscall-groups" 2>/dev/null
  calls_of() {  # calls_of NAME...: one system call a line
    awk -v names="$*" '
      function expand(x,   k, i, part) {
        if (x !~ /^@/) { out[x] = 1; return }
        if (seen[x]++) return
        k = split(members[x], part, " ")
        for (i = 1; i <= k; i++) expand(part[i])
      }
      /^@/ { group = $1; next }
      NF == 0 || $1 ~ /^#/ { next }
      { members[group] = members[group] " " $1 }
      END { n = split(names, w, " "); for (i = 1; i <= n; i++) expand(w[i]); for (c in out) print c }
    ' "$work/syscall-groups" | sort
  }
  unit_calls() {  # unit_calls UNIT: the calls its filter lets through
    local file=$root/lib/systemd/system/$1 allowed="" line
    case $(sed -n 's/^SystemCallFilter=//p' "$file" | head -n 1) in
      '' | '~'*) return 0 ;;  # no allow list: not what this reads
    esac
    while read -r line; do
      case $line in
        '~'*) allowed=$(comm -23 <(printf '%s\n' "$allowed") <(calls_of "${line#\~}")) ;;
        *) allowed=$(printf '%s\n' "$allowed" "$(calls_of "$line")" | sort -u) ;;
      esac
    done < <(sed -n 's/^SystemCallFilter=//p' "$file")
    printf '%s\n' "$allowed"
  }
  for unit in registrar.service registrar-spawn-fcgi.service; do
    unit_calls "$unit" > "$work/$unit.calls"
  done
  unit_allows() {  # unit_allows UNIT CALL...
    local call
    for call in "${@:2}"; do grep -qx "$call" "$work/$1.calls" || return 1; done
  }
  keeps_out() { ! grep -qx "$2" "$work/$1.calls"; }
  # The workers lower their mail threads' and sweepers' priority
  # (getpriority, setpriority: @resources); spawn-fcgi binds and chmods
  # the socket; setfacl (ExecStartPre=) sets its folder's ACL (setxattr).
  check "registrar.service's system-call filter lets the workers run" \
    unit_allows registrar.service getpriority setpriority bind fdatasync
  check "registrar-spawn-fcgi.service's lets spawn-fcgi, setfacl and the workers run" \
    unit_allows registrar-spawn-fcgi.service getpriority setpriority bind chmod setxattr
  for unit_call in registrar.service:setuid registrar.service:chown \
                   registrar-spawn-fcgi.service:setuid registrar-spawn-fcgi.service:chown \
                   registrar-spawn-fcgi.service:setrlimit; do
    check "${unit_call%%:*}'s system-call filter keeps out ${unit_call##*:}" \
      keeps_out "${unit_call%%:*}" "${unit_call##*:}"
  done
else
  bad "systemd-analyze is missing (Debian: systemd)"
fi

if [ $fresh -eq 0 ]; then
  echo "deploy test: the package (make deb)"
  make --no-print-directory -s deb >/dev/null
  deb=$(ls build/registrar_*.deb)
  contents=$(dpkg-deb -c "$deb")
  for f in ./usr/lib/registrar/registrar ./usr/sbin/regctl ./etc/registrar/registrar.env \
           ./etc/nginx/sites-available/registrar ./lib/systemd/system/registrar.service \
           ./usr/lib/sysusers.d/registrar.conf ./usr/lib/tmpfiles.d/registrar.conf \
           ./usr/share/doc/registrar/copyright; do
    check "package holds $f" grep -q " $f\$" <<<"$contents"
  done
  check "package enables no nginx site" bash -c '! grep -q sites-enabled <<<"$1"' _ "$contents"
  ctl=$work/ctl
  dpkg-deb -e "$deb" "$ctl"
  check "conffiles: the env file, the site, logrotate" diff <(sort "$ctl/conffiles") \
    <(printf '%s\n' /etc/logrotate.d/registrar /etc/nginx/sites-available/registrar \
        /etc/registrar/registrar.env)
  for s in postinst prerm postrm; do check "$s is valid sh" sh -n "$ctl/$s"; done
  check "postinst runs the setup script" grep -q '^ *usr/lib/registrar/setup\|/usr/lib/registrar/setup' "$ctl/postinst"
  check "postinst enables nothing by itself" bash -c '! grep -v "^ *#" "$1" | grep -q "systemctl enable"' _ "$ctl/postinst"
  check "Recommends spawn-fcgi and acl (the supervised unit's setfacl)" \
    bash -c 'grep -q "^Recommends:.*spawn-fcgi" "$1" && grep -q "^Recommends:.*\bacl\b" "$1"' _ "$ctl/control"
  check "Depends names the libraries the binary links" \
    bash -c 'for l in libfcgi0ldbl libsqlite3-0 libcurl4 libssl3; do grep -q "^Depends:.*$l" "$1" || exit 1; done' _ "$ctl/control"
  # The setup script's fallback (no systemd-sysusers/tmpfiles) makes the
  # folders of tmpfiles.d; here it runs on the rewritten paths and user.
  rewrite < "$root/usr/lib/tmpfiles.d/registrar.conf" \
    | sed -e "s| registrar registrar | $svc_user $svc_group |" -e "s| registrar adm | $svc_user adm |" \
    > "$work/tmpfiles.conf"
  sed -e "s|^tmpfiles=.*|tmpfiles=$work/tmpfiles.conf|" -e "s|^env_file=.*|env_file=$env_file|" \
      -e 's|command -v systemd-tmpfiles|false|' -e 's|command -v systemd-sysusers|false|' \
      -e 's|getent passwd registrar|true|' -e "s|chgrp registrar|chgrp $svc_group|" \
      -e "s|^svc_user=.*|svc_user=$svc_user|" \
      -e "s|^internal_secret=.*|internal_secret=$data_dir/internal.secret|" \
      -e "s|^nginx_include=.*|nginx_include=$work/nginx-internal.conf|" \
      "$root/usr/lib/registrar/setup" > "$work/setup"
  rewrite < "$root/etc/registrar/registrar.env" > "$env_file"
  check "setup (fallback without systemd) makes the folders" sh "$work/setup"
  check "DATA_DIR is 0700, the service user's" \
    test "$(stat -c '%a %U' "$data_dir")" = "700 $svc_user"
  check "the log folder is 2750 (setgid adm)" test "$(stat -c %a "$log_dir")" = 2750
  check "setup makes the internal key, the service user's, mode 0600" \
    test "$(stat -c '%a %U' "$data_dir/internal.secret")" = "600 $svc_user"
  check "setup writes nginx's include of the key, root's, mode 0600" \
    test "$(stat -c '%a %U' "$work/nginx-internal.conf")" = "600 root"
  check "setup run again keeps the key" bash -c \
    'k=$(cat "$1"); sh "$2" && test "$(cat "$1")" = "$k"' _ "$data_dir/internal.secret" "$work/setup"
fi

# The settings the README tells the operator to set, for this test: the
# public URL on the test port and the dev SMTP sink.
echo "deploy test: the README's spawn-fcgi deployment"
mkdir -p "$work/sink"
/usr/bin/python3 "$repo/tools/smtp_sink.py" --port 0 --dir "$work/sink" > "$work/sink.out" &
pids+=($!)
wait_for 10 test -s "$work/sink/sink.port" || bad "the SMTP sink did not start"
sed -i -e "s|^SMTP_URL=.*|SMTP_URL=smtp://127.0.0.1:$(cat "$work/sink/sink.port")|" \
       -e "s|^INTERNAL_URL=.*|INTERNAL_URL=http://127.0.0.1:$internal_port/internal/mail|" "$env_file"
# Fast hashing: this tests the deployment, not scrypt.
echo "SCRYPT_LOG2_N=4" >> "$env_file"

# readme_block NAME: the shell block after "<!-- test: NAME -->" in README.md.
readme_block() {
  awk -v m="<!-- test: $1 -->" '
    index($0, m) { found = 1; next }
    found && /^ *```/ { if (inside) exit; inside = 1; next }
    inside { print }' "$repo/README.md"
}
for b in spawn-fcgi stop enable-site plain-http regctl; do
  [ -n "$(readme_block $b)" ] || bad "README.md has no block marked <!-- test: $b -->"
done

# The site, tried over plain HTTP on the test port as the README says;
# BASE_URL follows.
site=$work/site.conf
rewrite < "$root/etc/nginx/sites-available/registrar" > "$site"
plain_cmd=$(readme_block plain-http | rewrite |
  sed -e "s|/etc/nginx/sites-available/registrar|$site|g" -e "s|8080|$port|g")
check "the README's plain-HTTP trial commands succeed" bash -euc "$plain_cmd"
check "the site listens on the test port without TLS" grep -q "^ *listen $port;" "$site"
check "BASE_URL is the test port's URL" grep -qx "BASE_URL=http://127.0.0.1:$port" "$env_file"

# The start and stop script, its paths and user rewritten like the rest.
if [ $fresh -eq 0 ]; then
  rewrite < "$root/usr/lib/registrar/workers" > "$workers"
  chmod 0755 "$workers"
fi
start_cmd=$(readme_block spawn-fcgi | rewrite)
echo "  \$ $start_cmd" | sed 's/^/  /'
check "the README's spawn-fcgi command succeeds" bash -euc "$start_cmd"
check "the workers' pid file is written" wait_for 5 test -s "$run_dir/registrar.pid"
sock=$run_dir/registrar.sock
check "the socket is www-data's, mode 0600" test "$(stat -c '%U %a' "$sock")" = "www-data 600"
worker=$(head -n 1 "$run_dir/registrar.pid" 2>/dev/null || echo 0)
check "the workers run as $svc_user" test "$(stat -c %U "/proc/$worker")" = "$svc_user"
can_connect() {  # can_connect UID GID: does a process with these ids reach the socket?
  setpriv --reuid="$1" --regid="$2" --clear-groups /usr/bin/python3 -c \
    'import socket, sys; s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' "$sock"
}
refused() { ! "$@"; }
check "nginx's user (www-data) can connect" can_connect www-data www-data
check "the service user itself cannot connect" refused can_connect "$svc_user" "$svc_group"
# A PHP pool run as its own user but in group www-data: refused.
check "another user in group www-data cannot connect" refused can_connect daemon www-data
check "the log file is written by the workers" wait_for 5 grep -q "started:" "$log_dir/registrar.log"

# nginx with the installed site, as Debian's nginx.conf would include it.
if [ $fresh -eq 1 ]; then
  # The system nginx, with the package's site enabled as the README says.
  check "the README's enable-site commands succeed" bash -euc "$(readme_block enable-site)"
fi
cp /etc/nginx/fastcgi_params "$work/fastcgi_params"
mkdir -p "$work/nginx-tmp"
cat > "$work/nginx.conf" <<EOF
user www-data www-data;
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 256; }
http {
    include /etc/nginx/mime.types;
    client_body_temp_path $work/nginx-tmp/body;
    fastcgi_temp_path $work/nginx-tmp/fastcgi;
    proxy_temp_path $work/nginx-tmp/proxy;
    uwsgi_temp_path $work/nginx-tmp/uwsgi;
    scgi_temp_path $work/nginx-tmp/scgi;
    include $site;
}
EOF
# The internal listener on a unix socket too, as the site's comment says.
sed -i "s|^    listen 127.0.0.1:$internal_port;|&\n    listen unix:$work/internal.sock;|" "$site"
check "nginx -t accepts the installed site" nginx -q -t -c "$work/nginx.conf"
nginx -c "$work/nginx.conf" -g 'daemon off;' 2>>"$work/nginx-error.log" &
pids+=($!)
base=http://127.0.0.1:$port
check "nginx answers /healthz through the socket" wait_for 10 curl -fsS "$base/healthz"
# Anything running as www-data can reach the workers' socket and set
# FastCGI parameters; without the internal listener's key, no /internal/.
check "www-data speaking FastCGI to the socket gets no internal route" \
  test "$(setpriv --reuid=www-data --regid=www-data --clear-groups /usr/bin/python3 \
          "$repo/tests/fcgi_get.py" "$sock" /internal/metrics REGISTRAR_INTERNAL=1)" = 404
check "the metrics answer on the internal listener's unix socket" \
  curl -fsS -o /dev/null --unix-socket "$work/internal.sock" http://localhost/internal/metrics
check "static files come from the installed folder" curl -fsS -o /dev/null "$base/static/app.css"
check "pages come in German from the installed catalogues" \
  bash -c 'curl -fsS -H "Accept-Language: de-DE,de;q=0.9" "$1/" | grep -q "<html lang=\"de\">"' _ "$base"
check "nginx's own 413 is the installed page, in German" \
  bash -c 'head -c 17000 /dev/zero | tr "\0" x | curl -s -o "$2" -w "%{http_code}" \
             -H "Accept-Language: de" --data-binary @- "$1/register" | grep -qx 413 &&
           grep -q "Fehler 413" "$2"' _ "$base" "$work/413.out"

email="ada-$RANDOM@example.com"
# A browser's cookie jar: the receipt cookie spares this browser the
# password at POST /activate (CONTRACT section 2).
code=$(curl -s -c "$work/cookies" -o "$work/register.out" -w '%{http_code}' \
  -H 'Content-Type: application/json' \
  -d "{\"email\":\"$email\",\"password\":\"correct horse battery\"}" "$base/register")
check "POST /register answers 202 (got $code)" test "$code" = 202
check "the verification mail reaches the SMTP server" \
  wait_for 15 grep -q "verification link: $base/activate?token=" "$work/sink.out"
link=$(sed -n 's/.*verification link: \(http[^ ]*\).*/\1/p' "$work/sink.out" | tail -n 1)
token=${link##*token=}
check "the link opens the verify page (200)" \
  test "$(curl -s -o /dev/null -w '%{http_code}' "$link")" = 200
code=$(curl -s -b "$work/cookies" -o /dev/null -w '%{http_code}' -d "token=$token" "$base/activate")
check "POST /activate verifies the account (got $code)" test "$code" = 200
check "nginx's access log holds the path, never the token" \
  bash -c 'grep -q "/activate" "$1" && ! grep -q "$2" "$1"' _ "$access_log" "$token"

# regctl as the README shows it: the same env file finds the same data.
regctl_cmd=$(readme_block regctl | rewrite)
# regctl is on root's PATH (/usr/sbin); here the env file is not at /etc,
# so DATA_DIR comes from the environment, which regctl reads first.
regctl_out=$(PATH=$root/usr/sbin:$PATH DATA_DIR=$data_dir \
  bash -c "${regctl_cmd//ada@example.com/$email}" 2>&1) || true
check "regctl (README) shows the account as verified" \
  bash -c 'grep -q "^address *$1" <<<"$2" && grep -q "^verified *20" <<<"$2"' _ "$email" "$regctl_out"
check "regctl as another user is refused" bash -c \
  "! setpriv --reuid=daemon --regid=daemon --clear-groups $root/usr/sbin/regctl -d $data_dir jobs"

stop_cmd=$(readme_block stop | rewrite)
check "the README's stop command succeeds" bash -euc "$stop_cmd"
check "SIGTERM: the workers remove the pid file" wait_for 5 test ! -e "$run_dir/registrar.pid"
check "SIGTERM: the workers remove the socket" wait_for 5 test ! -e "$sock"
check "the log says the workers stopped" grep -q "last worker out" "$log_dir/registrar.log"

echo "deploy test: a worker that cannot start says why; stop cleans up after it"
# with_env FILE: the start script reading another env file.
with_env() {
  sed "s|^env_file=.*|env_file=$1|" "$workers" > "$work/workers-other"
}
# An env file the service user cannot read (root's, mode 0640 root:root).
install -m 0640 "$env_file" "$work/root-only.env"
with_env "$work/root-only.env"
check "an unreadable env file: workers start fails" \
  bash -c '! sh "$1" start > "$2" 2>&1' _ "$work/workers-other" "$work/bad.out"
check "an unreadable env file: the log says so" \
  grep -q "cannot start: $work/root-only.env: cannot be read" "$log_dir/registrar.log"
check "workers start quotes the log's reason" grep -q "cannot be read" "$work/bad.out"
check "a failed start leaves no pid file" test ! -e "$run_dir/registrar.pid"
check "a failed start leaves no socket" test ! -e "$sock"
check "stop after a failed start succeeds" bash -euc "$stop_cmd"
# A bad setting.
install -m 0640 -g "$svc_group" "$env_file" "$work/bad.env"
echo "SMTP_URL=ftp://nowhere" >> "$work/bad.env"
with_env "$work/bad.env"
check "a bad setting: workers start fails" \
  bash -c '! sh "$1" start > "$2" 2>&1' _ "$work/workers-other" "$work/bad.out"
check "a bad setting: the log names it" \
  grep -q "cannot start: config: SMTP_URL=ftp://nowhere" "$log_dir/registrar.log"
check "a bad setting: no pid file or socket left" \
  test ! -e "$run_dir/registrar.pid" -a ! -e "$sock"
# The pid file's folder is the service user's: a pid planted there is
# not signalled by root's stop.
sleep 30 &
planted=$!
pids+=($planted)
echo "$planted" > "$run_dir/registrar.pid"
check "stop with a planted pid succeeds" bash -euc "$stop_cmd"
check "stop leaves the planted pid's process alone" kill -0 "$planted"
kill "$planted" 2>/dev/null || true

echo "deploy test: the supervised variant (registrar-spawn-fcgi.service)"
# No systemd as PID 1 here: the unit's commands are run as systemd would
# run them, as its User= and Group= (the service user) with UMask=0077,
# in the RuntimeDirectory= made afresh, its owner's, RuntimeDirectoryMode=.
unit=$root/lib/systemd/system/registrar-spawn-fcgi.service
unit_key() { sed -n "s/^$1=//p" "$unit"; }
check "the unit runs as registrar, never root" \
  test "$(unit_key User) $(unit_key Group)" = "registrar registrar"
check "the unit's RuntimeDirectory= is the socket's folder" \
  test "$(unit_key RuntimeDirectory)" = registrar
exec_pre=$(unit_key ExecStartPre | rewrite)
exec_start=$(unit_key ExecStart | rewrite)
# as_unit COMMAND: COMMAND as the unit runs it (the service user's groups).
unit_creds=(setpriv --reuid="$svc_user" --regid="$svc_group" --init-groups)
as_unit() { "${unit_creds[@]}" bash -c "umask 0077 && exec $1"; }
runtime_dir() {
  rm -rf "$run_dir"
  install -d -m "$(unit_key RuntimeDirectoryMode)" -o "$svc_user" -g "$svc_group" "$run_dir"
  as_unit "$exec_pre"
}
check "ExecStartPre= succeeds as the service user" runtime_dir
as_unit "$(sed "s|$env_file|$work/bad.env|" <<<"$exec_start")" > "$work/bad-n.out" 2>&1 || true
check "spawn-fcgi -n: the start-up error is on stderr (journald)" \
  grep -q "cannot start: config: SMTP_URL=ftp://nowhere" "$work/bad-n.out"
runtime_dir
# Not by as_unit: $! is then spawn-fcgi, exec'd into the worker.
"${unit_creds[@]}" bash -c "umask 0077 && exec $exec_start" > "$work/supervised.out" 2>&1 &
sup=$!
pids+=($sup)
check "spawn-fcgi -n serves through the same nginx site" wait_for 10 curl -fsS "$base/healthz"
check "spawn-fcgi -n: the worker logs on stderr" wait_for 5 grep -q "started:" "$work/supervised.out"
check "spawn-fcgi -n: the worker runs as $svc_user" test "$(stat -c %U "/proc/$sup")" = "$svc_user"
check "spawn-fcgi -n: nginx's user (www-data) can connect" can_connect www-data www-data
check "spawn-fcgi -n: another user in group www-data cannot connect" \
  refused can_connect daemon www-data
check "spawn-fcgi -n: another user cannot connect" refused can_connect daemon daemon
kill -TERM $sup
check "spawn-fcgi -n: SIGTERM stops it" wait_for 5 bash -c "! kill -0 $sup"

echo "deploy test: removal"
if [ $fresh -eq 0 ]; then
  # The package's postrm on the scratch paths: the site's link goes, the
  # logs go, DATA_DIR (accounts, secrets) stays.
  enabled=$work/etc/nginx/sites-enabled
  mkdir -p "$enabled" "$work/etc-registrar"
  ln -s ../sites-available/registrar "$enabled/registrar"
  ln -s ../sites-available/other "$enabled/other"
  rewrite < "$ctl/postrm" | sed -e "s|/etc/nginx/|$work/etc/nginx/|g" \
    -e "s|/etc/registrar|$work/etc-registrar|g" -e "s|/run/systemd/system|$work/no-systemd|g" \
    > "$work/postrm"
  check "postrm purge succeeds" sh "$work/postrm" purge
  check "purge removes the site's sites-enabled link" test ! -L "$enabled/registrar"
  check "purge leaves another site's link alone" test -L "$enabled/other"
  check "purge removes the logs" test ! -e "$log_dir"
  check "purge keeps DATA_DIR (accounts, job.secret)" test -s "$data_dir/job.secret"
else
  ln -sf ../sites-available/registrar /etc/nginx/sites-enabled/registrar
  check "apt-get purge succeeds" apt-get purge -y registrar
  check "purge removes the site's sites-enabled link" test ! -L /etc/nginx/sites-enabled/registrar
  check "nginx -t passes after the purge" nginx -t
  check "purge keeps /var/lib/registrar (accounts, job.secret)" test -s /var/lib/registrar/job.secret
  check "purge keeps the registrar user" getent passwd registrar
fi

if [ $failures -ne 0 ]; then
  echo "deploy test: $failures check(s) FAILED (KEEP=1 keeps $work)"
  exit 1
fi
echo "deploy test: every check passed"
