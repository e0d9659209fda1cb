//go:build !unix

package template

import "time"

func cpuTime() time.Duration { return 0 }
