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

