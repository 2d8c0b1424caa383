package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/cairn-chain/cairn/testnet"
)

func readProxyStatus(dir string, st *testnet.ProxyStatus) ([]byte, error) {
	b, err := os.ReadFile(filepath.Join(dir, testnet.ProxyStatusFile))
	if err != nil {
		return nil, err
	}
	return b, json.Unmarshal(b, st)
}

// processAlive: running and not a zombie (PID 1 may never reap it here).
func processAlive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	k := strings.LastIndexByte(s, ')')
	return k >= 0 && k+2 < len(s) && s[k+2] != 'Z'
}
