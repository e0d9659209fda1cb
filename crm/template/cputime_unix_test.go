//go:build unix

package template

import (
	"syscall"
	"time"
)

// cpuTime returns the CPU time (user + system) used by the process so far.
// Benchmarks report it per operation because wall time on a shared machine
// mostly measures the other processes.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
