#!/bin/sh
# A private Postfix for the mail tests: its own config, queue and data
# directories under DIR, one smtpd on 127.0.0.1:PORT with STARTTLS (a CA
# and a certificate made here for 127.0.0.1), strict EHLO checks, SMTPUTF8
# on or off, and every mail to any address @example.com delivered into one
# Maildir, DIR/mail/inbox/new/. Its log is DIR/maillog (no syslog needed).
# Bounces, as README "Bounces" sets them up: mail.test is local, with
# recipient_delimiter +, and its alias "bounces" pipes each notification
# into DIR/bounce.sh (the test writes it: regctl bounce on its stack's
# data); mail to any address @nosuch.test is bounced at once with 5.1.1
# (the error transport), as a mailbox that does not exist is.
# Needs root (Postfix starts as root, then runs as the postfix user) and
# Debian's postfix package (tools/deps.sh).
#
#   tools/test_postfix.sh start DIR PORT yes|no   (SMTPUTF8 offered or not)
#   tools/test_postfix.sh stop DIR
set -eu

cmd=$1 dir=$2
conf=$dir/etc

if [ "$cmd" = stop ]; then
  [ -f "$conf/main.cf" ] || exit 0
  postfix -c "$conf" stop >/dev/null 2>&1 || true
  # "postfix stop" returns once master got SIGTERM; wait for it to exit.
  pid=$(cat "$dir/queue/pid/master.pid" 2>/dev/null | tr -d ' ') || true
  i=0
  while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
    sleep 0.05; i=$((i + 1))
  done
  exit 0
fi

[ "$cmd" = start ] || { echo "usage: $0 start DIR PORT yes|no | stop DIR" >&2; exit 2; }
port=$3 smtputf8=$4
mkdir -p "$conf" "$dir/queue" "$dir/data" "$dir/mail" "$dir/tls"
chown postfix:postfix "$dir/data" "$dir/mail"
chmod 0755 "$dir"  # the postfix user reaches its directories through it

# A CA and a server certificate for 127.0.0.1 (and mail.test), made here.
if [ ! -s "$dir/tls/ca.pem" ]; then
  (
    cd "$dir/tls"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "/CN=Test CA" \
      -keyout ca.key -out ca.pem -addext basicConstraints=critical,CA:TRUE \
      -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=127.0.0.1" \
      -keyout server.key -out server.csr 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:mail.test\nextendedKeyUsage=serverAuth\n' > ext.cnf
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
      -days 2 -extfile ext.cnf -out server.pem 2>/dev/null
    chmod 0644 ca.pem server.pem
    chmod 0600 server.key ca.key
  )
fi

cat > "$conf/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $dir/queue
data_directory = $dir/data
maillog_file = $dir/maillog
maillog_file_prefixes = $dir
myhostname = mail.test
mydomain = mail.test
myorigin = mail.test
mydestination = mail.test
recipient_delimiter = +
alias_maps = texthash:$conf/aliases
transport_maps = texthash:$conf/transport
# Taken, then bounced by the error transport (not refused at RCPT TO).
smtpd_reject_unlisted_recipient = no
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_database =
local_recipient_maps =
relayhost =
biff = no
smtputf8_enable = $smtputf8
smtpd_helo_required = yes
smtpd_helo_restrictions = reject_invalid_helo_hostname, reject_non_fqdn_helo_hostname
smtpd_sender_restrictions = reject_non_fqdn_sender
smtpd_recipient_restrictions = reject_non_fqdn_recipient, permit_mynetworks, reject_unauth_destination
smtpd_tls_security_level = may
smtpd_tls_cert_file = $dir/tls/server.pem
smtpd_tls_key_file = $dir/tls/server.key
smtpd_tls_loglevel = 1
smtpd_tls_received_header = yes
virtual_mailbox_domains = example.com
virtual_mailbox_base = $dir/mail
virtual_mailbox_maps = static:inbox/
virtual_uid_maps = static:$(id -u postfix)
virtual_gid_maps = static:$(id -g postfix)
EOF

cat > "$conf/master.cf" <<EOF
127.0.0.1:$port inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
local     unix  -       n       n       -       -       local
EOF

# The pipe runs as default_privs (nobody): the alias file is root's.
# texthash: "key value" lines (an aliases file's "key: value" is refused).
printf 'bounces |%s/bounce.sh\n' "$dir" > "$conf/aliases"
printf 'nosuch.test error:5.1.1 mailbox unavailable\n' > "$conf/transport"
[ -f "$dir/bounce.sh" ] || printf '#!/bin/sh\nexit 75\n' > "$dir/bounce.sh"
chmod 0755 "$dir/bounce.sh"

postfix -c "$conf" start
