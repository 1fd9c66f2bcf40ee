package deploy

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico-gateway/portico/runtime/abi"
	"github.com/portico-gateway/portico/runtime/pipeline"
)

type countingCloser struct{ closed atomic.Int32 }

func (c *countingCloser) Close() error { c.closed.Add(1); return nil }

// TestRetiredStageClosesWhenIdle: a replaced stage with no request in flight releases its plugins after the short
// grace period, not after the full close delay.
func TestRetiredStageClosesWhenIdle(t *testing.T) {
	rt := New(Config{CloseDelay: time.Hour})
	st := pipeline.NewStage("svc00001", "test", 1, nil, nil)
	c := &countingCloser{}
	st.SetClosers([]abi.Closer{c})
	rt.mu.Lock()
	rt.retire(st)
	rt.mu.Unlock()
	deadline := time.Now().Add(10 * time.Second)
	for c.closed.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if c.closed.Load() != 1 {
		t.Fatalf("the idle retired stage was closed %d times", c.closed.Load())
	}
	rt.Close() // closing the runtime afterwards does not close it again
	if c.closed.Load() != 1 {
		t.Fatalf("closed %d times", c.closed.Load())
	}
}
