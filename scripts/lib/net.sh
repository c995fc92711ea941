# scripts/lib/net.sh - loopback helpers shared by the shell scripts of ci/, tests/ and
# bench/ (sourced, not run; defines functions only, sets no options).
# shellcheck shell=bash

# net_free_port: prints a TCP port of 127.0.0.1 that nothing listens on (the kernel picks
# it). The caller binds it later, so another process may take it first: rare on a test
# machine, and the caller's start then fails visibly.
net_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# net_wait_url [--ok] URL [SECONDS]: returns 0 as soon as URL answers with any HTTP status
# (--ok: only a 2xx), 1 when it has not after SECONDS (default 10). Polls every 50 ms,
# each request bounded to 1 s; prints nothing.
net_wait_url() {
  local fail_on_http= url secs i
  if [ "${1:-}" = --ok ]; then fail_on_http=-f; shift; fi
  url=$1 secs=${2:-10}
  for ((i = 0; i < secs * 20; i++)); do
    curl -s $fail_on_http -o /dev/null --max-time 1 "$url" && return 0
    sleep 0.05
  done
  return 1
}
