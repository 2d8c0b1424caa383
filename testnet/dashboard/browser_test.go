package dashboard

import (
	"context"
	"testing"
	"time"

	"github.com/cairn-chain/cairn/testnet/browsertest"
	"github.com/chromedp/chromedp"
)

// waitJS polls a JS boolean expression on the page until it holds.
func waitJS(t *testing.T, ctx context.Context, what, expr string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var ok bool
		lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := chromedp.Do(lctx, browsertest.Into(chromedp.Evaluate[bool](expr), &ok))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			var page string
			_ = chromedp.Do(ctx, browsertest.Into(chromedp.Text(chromedp.CSS(`main`)), &page))
			t.Fatalf("page never showed %s (%s; err %v); page:\n%s", what, expr, err, page)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
