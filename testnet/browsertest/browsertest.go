// Package browsertest drives a real headless Chromium for the web UIs'
// tests (the explorer's and the testnet dashboard's): launch with the flags
// this machine needs, run steps with a generous deadline, save screenshots
// as test artifacts. Only tests import it.
package browsertest

import (
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Start launches headless Chromium with a window of width x height, or
// skips when the binary is missing locally; under CI (env CI set) a missing
// Chromium fails the test.
func Start(t *testing.T, width, height int) context.Context {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		msg := "headless Chromium not found (install Debian's chromium package: apt-get install -y chromium)"
		if os.Getenv("CI") != "" {
			t.Fatal(msg + "; CI must run the browser tests")
		}
		t.Skip(msg)
	}
	// Without the background-networking flags Chromium calls home, which
	// this machine refuses; as root it needs --no-sandbox.
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("disable-extensions", true),
		chromedp.WindowSize(width, height),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("start chromium %s: %v", path, err)
	}
	return ctx
}

// Run runs steps with a generous deadline (a loaded CI machine).
func Run(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// Into runs a and stores its value in *dst, as a step of Run.
func Into[T any](a chromedp.Action[T], dst *T) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		v, err := a(ctx, tg)
		*dst = v
		return chromedp.Void{}, err
	}
}

// ArtifactDir is where screenshots go: the test's artifact directory under
// `go test -artifacts`, else os.TempDir()/cairn-artifacts/<test>.
func ArtifactDir(t *testing.T) string {
	if f := flag.Lookup("test.artifacts"); f != nil && f.Value.String() == "true" {
		return t.ArtifactDir()
	}
	dir := filepath.Join(os.TempDir(), "cairn-artifacts", regexp.MustCompile(`[^A-Za-z0-9_.-]`).ReplaceAllString(t.Name(), "_"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Screenshot saves the whole page as name.png (quality 100 means PNG) in
// the artifact directory.
func Screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	var png []byte
	Run(t, ctx, "screenshot "+name, Into(chromedp.FullScreenshot(100), &png))
	path := filepath.Join(ArtifactDir(t), name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s", path)
}
