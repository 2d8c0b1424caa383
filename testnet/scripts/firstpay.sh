#!/usr/bin/env bash
# Time from `cairn testnet up` (a new network) to the first confirmed
# payment sent with `cairn testnet wallet`, over RUNS fresh networks.
#
#   go build -o cairn ./cmd/cairn
#   CAIRN=./cairn RUNS=5 BLOCK_TIME=2s bash testnet/scripts/firstpay.sh
set -eu
CAIRN=${CAIRN:-./cairn}
RUNS=${RUNS:-5}
BLOCK_TIME=${BLOCK_TIME:-2s}
work=$(mktemp -d)
trap '"$CAIRN" testnet destroy --dir "$work/net" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
for i in $(seq 1 "$RUNS"); do
	dir="$work/net"
	t0=$(date +%s.%N)
	"$CAIRN" testnet up --detach --block-time "$BLOCK_TIME" --dir "$dir" >/dev/null 2>&1
	t1=$(date +%s.%N)
	to=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))[-1]['address'])" "$dir/keys.json")
	txid=$("$CAIRN" testnet wallet node1 send "$to" 1.5 --json --dir "$dir" | python3 -c "import json,sys;print(json.load(sys.stdin)['txid'])")
	until "$CAIRN" testnet rpc node1 gettransaction "$txid" --dir "$dir" | grep -q '"confirmations": [1-9]'; do sleep 0.05; done
	t2=$(date +%s.%N)
	printf 'run %d: up %.2fs, up to confirmed payment %.2fs\n' "$i" "$(echo "$t1 - $t0" | bc)" "$(echo "$t2 - $t0" | bc)"
	"$CAIRN" testnet destroy --dir "$dir" >/dev/null
done
