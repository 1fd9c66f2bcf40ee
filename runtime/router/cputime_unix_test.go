//go:build unix

package router

import "syscall"

// processCPU is the CPU time (user + system) the test process has used, in nanoseconds. Benchmarks report it per
// operation next to ns/op because the shared machines these run on are often busy: wall time then counts the time
// the benchmark sat descheduled, CPU time does not.
func processCPU() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
