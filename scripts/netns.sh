#!/bin/sh
# Run a command inside a fresh network namespace that has only loopback, so WebRTC
# gathers candidates on 127.0.0.1 alone and nothing can leave the machine.
# Needs root (CI and the dev machines run as root). Set PEERWEAVE_NO_NETNS=1 to skip.
set -e
if [ "${PEERWEAVE_NO_NETNS:-}" = "1" ] || [ "${PEERWEAVE_IN_NETNS:-}" = "1" ]; then exec "$@"; fi
export PEERWEAVE_IN_NETNS=1
exec unshare -n sh -c 'ip link set lo up; exec "$@"' sh "$@"
