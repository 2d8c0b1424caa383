#!/usr/bin/env bash
# Repeated `cairn testnet up --detach` / `destroy` on a fresh directory,
# counting failures (issue 10: 100 runs of 16 nodes, 0 failures).
#
#   go build -o cairn ./cmd/cairn
#   CAIRN=./cairn RUNS=100 NODES=16 bash testnet/scripts/updown.sh
set -u
CAIRN=${CAIRN:-./cairn}
RUNS=${RUNS:-100}
NODES=${NODES:-16}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
start=$SECONDS
for i in $(seq 1 "$RUNS"); do
	dir="$work/net$i"
	t0=$SECONDS
	if ! out=$("$CAIRN" testnet up --detach --nodes "$NODES" --dir "$dir" 2>&1 >/dev/null); then
		fail=$((fail + 1))
		echo "run $i: up failed: $(printf '%s' "$out" | tail -n 3)"
	fi
	if ! out=$("$CAIRN" testnet destroy --dir "$dir" 2>&1); then
		fail=$((fail + 1))
		echo "run $i: destroy failed: $(printf '%s' "$out" | tail -n 3)"
	fi
	if [ -e "$dir" ]; then
		fail=$((fail + 1))
		echo "run $i: $dir still exists after destroy"
	fi
	echo "run $i/$RUNS: $((SECONDS - t0))s, failures so far $fail"
done
echo "runs $RUNS, nodes $NODES, failures $fail, total $((SECONDS - start))s"
[ "$fail" -eq 0 ]
