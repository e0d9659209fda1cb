//go:build !unix

package store

import "os"

// diskUsage is the file's size where allocated blocks are not known.
func diskUsage(info os.FileInfo) int64 { return info.Size() }
