package batch

import (
	"os"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"unsafe"
)

const schedIdle = 5

// threads returns the policy of every thread of the process.
func threads(t *testing.T) map[int]int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]int{}
	for _, e := range ents {
		tid, _ := strconv.Atoi(e.Name())
		if pol, err := policy(tid); err == nil {
			out[tid] = pol
		}
	}
	return out
}

// TestEnter: every thread runs under SCHED_BATCH afterwards, threads
// started later too, and a thread under another policy keeps it.
func TestEnter(t *testing.T) {
	// One thread is put under SCHED_IDLE first (allowed without
	// privileges); it must stay there. The goroutine keeps its thread
	// locked, so the thread ends with it.
	idleTID := make(chan int)
	release := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		var param struct{ priority int32 }
		tid := syscall.Gettid()
		if _, _, errno := syscall.RawSyscall(syscall.SYS_SCHED_SETSCHEDULER, uintptr(tid), schedIdle, uintptr(unsafe.Pointer(&param))); errno != 0 {
			t.Errorf("setting SCHED_IDLE: %v", errno)
		}
		idleTID <- tid
		<-release
	}()
	idle := <-idleTID
	defer close(release)

	if err := Enter(); err != nil {
		t.Fatal(err)
	}
	for tid, pol := range threads(t) {
		want := schedBatch
		if tid == idle {
			want = schedIdle
		}
		if pol != want {
			t.Errorf("thread %d: policy %d, want %d", tid, pol, want)
		}
	}

	// New threads: goroutines that hold their threads make the runtime
	// start more.
	before := len(threads(t))
	var started, done sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		started.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			runtime.LockOSThread()
			started.Done()
			<-stop
		}()
	}
	started.Wait()
	all := threads(t)
	if len(all) <= before {
		t.Logf("no thread was started (%d before, %d after)", before, len(all))
	}
	for tid, pol := range all {
		if tid != idle && pol != schedBatch {
			t.Errorf("thread %d started after Enter: policy %d, want SCHED_BATCH", tid, pol)
		}
	}
	close(stop)
	done.Wait()
}
