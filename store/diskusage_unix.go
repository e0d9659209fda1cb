//go:build unix

package store

import (
	"os"
	"syscall"
)

// diskUsage is the space a file takes on disk: Badger pre-sizes its
// memory-mapped value-log files (64 MiB apparent size for a few KB of
// data), so the apparent size would overstate the store by far.
func diskUsage(info os.FileInfo) int64 {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return int64(st.Blocks) * 512
	}
	return info.Size()
}
