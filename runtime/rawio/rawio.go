// Package rawio wraps TCP connections so that their reads and writes are made without handing the Go scheduler's P
// away during the system call.
//
// Go's net package makes every read and write a "blocking" system call: the goroutine's P is marked as in a
// syscall, and when the runtime's sysmon thread sees it still there on its next tick (20 µs or more later), it hands
// the P to another thread. A read or write of a non-blocking socket never waits for the network, but on loopback a
// write runs the receiver's side in the writer's context and wakes it, and on a busy core the kernel may run the
// woken process before the writer returns. The P is then handed off for nothing: the new thread needs the same
// core. Measured on the gateway sharing one core with its backend, sysmon and those hand-offs made about half of the
// core's context switches, and sysmon kept polling at its shortest interval because the hand-offs kept succeeding.
//
// Conn makes the same read(2) and sendto(2) as raw system calls inside syscall.RawConn's Read and Write callbacks:
// the runtime's poller still waits for readiness (and applies deadlines) exactly as for a net.TCPConn, only the
// system call itself keeps the P. Non-blocking socket calls return at once or with EAGAIN, so no P is held while
// waiting for the network. Writes pass MSG_NOSIGNAL, so a closed peer gives EPIPE and never a SIGPIPE.
package rawio
