//go:build unix

package store

import "syscall"

// statfsFree returns the bytes of dir's file system available to an
// unprivileged process (f_bavail).
func statfsFree(dir string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return uint64(st.Bavail) * uint64(st.Bsize), nil
}
