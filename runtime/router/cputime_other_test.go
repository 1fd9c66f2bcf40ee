//go:build !unix

package router

// processCPU is not measured off unix; benchmarks then report cpu-ns/op as 0.
func processCPU() int64 { return 0 }
