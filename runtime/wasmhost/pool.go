package wasmhost

// The instance pool of a Plugin: a channel of free instances, a slot per live instance (req_ctx names one), and
// background creation, so that no request ever waits for an instantiation.

import (
	"time"
)

// bound claims the instance reqCtx names, or returns nil when it is gone (reclaimed, or a stale reqCtx).
func (p *Plugin) bound(reqCtx uint32) *instance {
	slot := int(reqCtx&(1<<slotBits-1)) - 1
	if slot < 0 || slot >= len(p.slots) {
		return nil
	}
	in := p.slots[slot].Load()
	if in == nil || !in.boundGen.CompareAndSwap(reqCtx>>slotBits, 0) {
		return nil
	}
	return in
}

// acquire takes a free instance, waiting up to QueueTimeout; nil means none freed up in time.
func (p *Plugin) acquire() *instance {
	select {
	case in := <-p.idle:
		if len(p.idle) == 0 && p.freeN.Load() > 0 && p.growing.Load() == 0 {
			p.grow() // keep a spare ready for the next request
		}
		return in
	default:
	}
	if p.closed.Load() {
		return nil
	}
	p.reclaimStale()
	p.grow()
	t := time.NewTimer(p.queueTimeout)
	defer t.Stop()
	select {
	case in := <-p.idle:
		return in
	case <-t.C:
		return nil
	}
}

// put returns a healthy instance to the pool.
func (p *Plugin) put(in *instance) {
	if p.closed.Load() {
		p.destroy(in)
		return
	}
	p.idle <- in // never blocks: the channel holds every instance there can be
	if p.closed.Load() {
		p.drain() // Close ran meanwhile and may have missed it
	}
}

// grow starts creating one instance in the background when the pool has room.
func (p *Plugin) grow() {
	slot, ok := p.takeSlot()
	if !ok {
		return
	}
	p.growing.Add(1)
	p.creating.Add(1)
	go func() {
		defer p.creating.Done()
		defer p.growing.Add(-1)
		in, err := p.newInstance(slot)
		if err != nil {
			p.log.Error("cannot create a plugin instance", "error", err)
			p.freeSlot(slot)
			return
		}
		p.slots[slot].Store(in)
		p.put(in)
	}()
}

func (p *Plugin) takeSlot() (int, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed.Load() || len(p.free) == 0 {
		return 0, false
	}
	slot := p.free[len(p.free)-1]
	p.free = p.free[:len(p.free)-1]
	p.freeN.Add(-1)
	return slot, true
}

func (p *Plugin) freeSlot(slot int) {
	p.mu.Lock()
	p.free = append(p.free, slot)
	p.freeN.Add(1)
	done := p.closed.Load() && len(p.free) == len(p.slots)
	p.mu.Unlock()
	if done {
		p.finish.Do(p.mod.release)
	}
}

// destroy closes in and frees its slot; it runs once per instance.
func (p *Plugin) destroy(in *instance) {
	if !in.dead.CompareAndSwap(false, true) {
		return
	}
	p.slots[in.slot].CompareAndSwap(in, nil)
	in.close()
	p.freeSlot(in.slot)
}

// reclaimStale takes back instances a chain never released (HandleRequest passed the request on, HandleResponse
// never came): they must not shrink the pool forever. It runs only when the pool is exhausted, and costs requests
// nothing: an instance is reclaimed when it has been seen bound to the same request by scans leaseTimeout apart.
func (p *Plugin) reclaimStale() {
	now := time.Now().UnixNano()
	p.reclaimMu.Lock()
	defer p.reclaimMu.Unlock()
	for i := range p.slots {
		in := p.slots[i].Load()
		if in == nil {
			continue
		}
		gen := in.boundGen.Load()
		if gen == 0 {
			continue
		}
		if in.seenGen != gen {
			in.seenGen, in.seenAt = gen, now
			continue
		}
		if now-in.seenAt < int64(p.leaseTimeout) || !in.boundGen.CompareAndSwap(gen, 0) {
			continue
		}
		p.log.Error("reclaimed a plugin instance whose request never called handle_response",
			"after", p.leaseTimeout)
		p.destroy(in)
	}
}

// Instances reports how many instances are alive (idle or serving), creations in progress included.
func (p *Plugin) Instances() int { return len(p.slots) - int(p.freeN.Load()) }

// Close implements abi.Closer: it closes idle instances now and the others as their requests finish; the module
// is released when the last one is closed. New requests are answered 503.
func (p *Plugin) Close() error {
	p.mu.Lock()
	already := p.closed.Swap(true)
	done := len(p.free) == len(p.slots)
	p.mu.Unlock()
	if already {
		return nil
	}
	p.drain()
	p.creating.Wait()
	p.drain()
	if done {
		p.finish.Do(p.mod.release)
	}
	return nil
}

func (p *Plugin) drain() {
	for {
		select {
		case in := <-p.idle:
			p.destroy(in)
		default:
			return
		}
	}
}
