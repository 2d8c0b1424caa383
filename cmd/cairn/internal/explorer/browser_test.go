package explorer

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// waitURL waits until the tab is at url (after a navigation the page
// started itself, such as a search).
func waitURL(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		loc, err := chromedp.Run(lctx, chromedp.Location())
		cancel()
		if err == nil && loc == url {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("tab at %s (%v), want %s", loc, err, url)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
