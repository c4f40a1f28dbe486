# Servers the sync tests start (sourced by t-sync*.sh after lib.sh):
# each listens on a free port of 127.0.0.1 and is killed when the test's
# subshell exits.


SERVERS=()
stop_servers() {
	local p
	for p in "${SERVERS[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	return 0
}

free_port() {
	"$PYTHON" -c 'import socket; s = socket.socket()
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_port PORT PID: until PORT takes a connection (10 s at most);
# fails if PID died
wait_port() {
	local i
	for i in $(seq 100); do
		kill -0 "$2" 2>/dev/null || return 1
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# serve_git [ROOT]: git daemon serving ROOT (default $TMP/srv) at
# git://127.0.0.1:$PORT/ (push allowed)
serve_git() {
	local root=${1:-$TMP/srv}
	local try pid
	trap stop_servers EXIT   # in this test's subshell
	for try in 1 2 3; do
		PORT=$(free_port)
		git daemon --export-all --base-path="$root" \
			--listen=127.0.0.1 --port="$PORT" --reuseaddr \
			--enable=receive-pack "$root" \
			</dev/null >>"$TMP/daemon.log" 2>&1 &
		pid=$!
		SERVERS+=("$pid")
		wait_port "$PORT" "$pid" && return 0
	done
	fail "git daemon did not start: $(cat "$TMP/daemon.log")"
}

# serve_ssh [COMMAND]: sshd on 127.0.0.1:$PORT with its own host key,
# taking the key $TMP/ssh/user for this user (with COMMAND, it runs
# that instead of what the client asks: a forced command);
# $KNOWN: a known_hosts naming its host key; $SSH_URL: $ORIGIN there.
# As root, sshd wants /run/sshd: it runs in a mount namespace of its own
# with a fresh /run, so nothing outside $TMP is written.
serve_ssh() {
	local try pid d=$TMP/ssh
	trap stop_servers EXIT   # in this test's subshell
	mkdir -p "$d"
	ssh-keygen -q -t ed25519 -N '' -C host -f "$d/host" &&
		ssh-keygen -q -t ed25519 -N '' -C user -f "$d/user" &&
		{ [ -z "${1:-}" ] || printf 'command="%s" ' "$1"
		  cat "$d/user.pub"; } >"$d/authorized_keys" || fail "ssh keys"
	chmod 700 "$d"
	for try in 1 2 3; do
		PORT=$(free_port)
		cat >"$d/config" <<-EOF
		Port $PORT
		ListenAddress 127.0.0.1
		HostKey $d/host
		AuthorizedKeysFile $d/authorized_keys
		PidFile $d/sshd.pid
		StrictModes no
		UsePAM no
		PasswordAuthentication no
		KbdInteractiveAuthentication no
		PermitRootLogin prohibit-password
		EOF
		if [ "$(id -u)" = 0 ]; then
			unshare -m sh -c 'mount -t tmpfs -o mode=755 none /run &&
				mkdir -m 755 /run/sshd &&
				exec /usr/sbin/sshd -D -e -f "$1"' sh "$d/config" \
				</dev/null 2>>"$d/log" &
		else
			/usr/sbin/sshd -D -e -f "$d/config" </dev/null \
				2>>"$d/log" &
		fi
		pid=$!
		SERVERS+=("$pid")
		wait_port "$PORT" "$pid" && break
	done
	wait_port "$PORT" "$pid" || fail "sshd did not start: $(cat "$d/log")"
	KNOWN=$d/known_hosts
	echo "[127.0.0.1]:$PORT $(cut -d' ' -f1,2 "$d/host.pub")" >"$KNOWN"
	export CUSTODY_SSH_KNOWN_HOSTS=$KNOWN CUSTODY_SSH_KEY=$d/user
	SSH_URL=ssh://$(id -un)@127.0.0.1:$PORT${ORIGIN:-}
}
