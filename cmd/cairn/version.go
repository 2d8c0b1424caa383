package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/cairn-chain/cairn/consensus"
	"github.com/spf13/cobra"
)

// version is the release, set at build time with
// -ldflags "-X main.version=v1.2.3"; otherwise the module version of a
// `go install`ed binary, or "dev".
var version = "dev"

func init() { extraCommands = append(extraCommands, newVersionCmd) }

// buildInfo is what `cairn version` reports.
type buildInfo struct {
	Version   string        `json:"version"`
	Commit    string        `json:"commit,omitempty"` // vcs.revision, "" if built without VCS info
	CommitAt  string        `json:"commit_time,omitempty"`
	Modified  bool          `json:"modified,omitempty"` // built from a tree with uncommitted changes
	GoVersion string        `json:"go"`
	Platform  string        `json:"platform"`
	Networks  []networkInfo `json:"networks"`
}

type networkInfo struct {
	Name       string `json:"name"`
	ChainID    string `json:"chain_id"`
	AddressHRP string `json:"address_hrp"`
	RPCPort    int    `json:"rpc_port"`
}

func readBuildInfo() buildInfo {
	bi := buildInfo{Version: version, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if info, ok := debug.ReadBuildInfo(); ok {
		if bi.Version == "dev" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			bi.Version = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				bi.Commit = s.Value
			case "vcs.time":
				bi.CommitAt = s.Value
			case "vcs.modified":
				bi.Modified = s.Value == "true"
			}
		}
	}
	for _, p := range []*consensus.Params{consensus.MainParams(), consensus.TestParams(), consensus.RegtestParams()} {
		bi.Networks = append(bi.Networks, networkInfo{Name: p.Name, ChainID: fmt.Sprintf("%#x", p.ChainID),
			AddressHRP: p.AddressHRP, RPCPort: p.DefaultRPCPort})
	}
	return bi
}

func (bi buildInfo) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "cairn %s\n", bi.Version)
	switch {
	case bi.Commit == "":
		b.WriteString("commit:   unknown (built without VCS information)\n")
	case bi.Modified:
		fmt.Fprintf(&b, "commit:   %s (%s, with uncommitted changes)\n", bi.Commit, bi.CommitAt)
	default:
		fmt.Fprintf(&b, "commit:   %s (%s)\n", bi.Commit, bi.CommitAt)
	}
	fmt.Fprintf(&b, "go:       %s %s\n", bi.GoVersion, bi.Platform)
	b.WriteString("networks:")
	for i, n := range bi.Networks {
		sep := ","
		if i == len(bi.Networks)-1 {
			sep = ""
		}
		fmt.Fprintf(&b, " %s (chain id %s, addresses %s1..., rpc port %d)%s", n.Name, n.ChainID, n.AddressHRP, n.RPCPort, sep)
	}
	b.WriteString("\n")
	return b.String()
}

func newVersionCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit, Go version and networks",
		Example: `  cairn version
  cairn --version
  cairn version --json`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			bi := readBuildInfo()
			if asJSON {
				return printJSON(bi)
			}
			fmt.Print(bi.String())
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON for scripts")
	return cmd
}
