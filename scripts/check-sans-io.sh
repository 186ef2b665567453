#!/usr/bin/env bash
# speech-proto must hold no IO, no clock reads, no threads, no runtime and no randomness.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
if hits=$(grep -rnE 'Instant::now|SystemTime::now|std::net|std::thread|std::fs|std::io::stdin|thread_rng|rand::' crates/speech-proto/src); then
  echo "speech-proto/src reads a clock, does IO or uses randomness:"; echo "$hits"; status=1
fi
tree=$(cargo tree -p speech-proto -e normal --prefix none)
for banned in tokio async-std smol mio hyper ureq reqwest; do
  if grep -qE "^$banned v" <<<"$tree"; then
    echo "speech-proto depends on $banned (cargo tree -p speech-proto -e normal)"; status=1
  fi
done
[ "$status" = 0 ] && echo "speech-proto: no clock, IO, randomness or runtime dependency"
exit "$status"
