package batch

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"unsafe"
)

const (
	schedOther        = 0
	schedBatch        = 3
	schedResetOnFork  = 0x40000000
	maxEnterPasses    = 4
	errNoSuchThreadID = syscall.ESRCH
)

// Enter puts every thread of the process that runs under the default
// policy (SCHED_OTHER) under SCHED_BATCH; threads started afterwards
// inherit it from the thread that starts them. Threads under any other
// policy (real-time, idle) are left alone. Call it early in main.
func Enter() error {
	// A thread started while the list is read inherits the policy of the
	// one that started it, which may not have been switched yet: read the
	// list again until a pass switches nothing.
	for range maxEnterPasses {
		switched, err := enterAll()
		if err != nil || switched == 0 {
			return err
		}
	}
	return nil
}

// enterAll switches the threads now listed in /proc/self/task and returns
// how many it switched.
func enterAll() (int, error) {
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return 0, fmt.Errorf("batch: %w", err)
	}
	n := 0
	for _, e := range ents {
		tid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		ok, err := enter(tid)
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// enter switches thread tid to SCHED_BATCH when it runs under SCHED_OTHER
// and reports whether it did. A thread that exited meanwhile is skipped.
func enter(tid int) (bool, error) {
	pol, err := policy(tid)
	if errors.Is(err, errNoSuchThreadID) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if pol != schedOther {
		return false, nil
	}
	var param struct{ priority int32 } // struct sched_param
	_, _, errno := syscall.RawSyscall(syscall.SYS_SCHED_SETSCHEDULER, uintptr(tid), schedBatch, uintptr(unsafe.Pointer(&param)))
	if errno == errNoSuchThreadID {
		return false, nil
	}
	if errno != 0 {
		return false, fmt.Errorf("batch: sched_setscheduler(%d, SCHED_BATCH): %w", tid, errno)
	}
	return true, nil
}

// policy returns the scheduling policy of thread tid.
func policy(tid int) (int, error) {
	pol, _, errno := syscall.RawSyscall(syscall.SYS_SCHED_GETSCHEDULER, uintptr(tid), 0, 0)
	if errno != 0 {
		return 0, fmt.Errorf("batch: sched_getscheduler(%d): %w", tid, errno)
	}
	return int(pol) &^ schedResetOnFork, nil
}
