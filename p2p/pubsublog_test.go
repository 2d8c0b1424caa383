package p2p

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// pubsub's per-message "tag queue busy" warning is demoted to debug; other
// warnings pass through, and debug logging still shows it.
func TestPubsubLogDemotesTagWarning(t *testing.T) {
	for _, level := range []slog.Level{slog.LevelInfo, slog.LevelDebug} {
		var buf bytes.Buffer
		log := slog.New(pubsubLog{slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: level})}).With("component", "pubsub")
		log.Warn("error bumping delivery tag", "err", "queue full")
		log.Warn("slow heartbeat", "took", "300ms")
		out := buf.String()
		if !strings.Contains(out, "slow heartbeat") || !strings.Contains(out, "level=WARN") {
			t.Fatalf("level %v: other warnings must pass: %q", level, out)
		}
		tag := strings.Contains(out, "bumping delivery tag")
		if level == slog.LevelInfo && tag {
			t.Fatalf("tag warning shown at info: %q", out)
		}
		if level == slog.LevelDebug && (!tag || !strings.Contains(out, `level=DEBUG msg="error bumping delivery tag"`)) {
			t.Fatalf("tag warning not shown as debug at debug level: %q", out)
		}
	}
}
