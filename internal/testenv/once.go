package testenv

import "sync"

// OncePer runs a function once per key and gives every caller with that
// key its result; callers asking while it runs wait for it. For what a
// test process makes once and then only reads (a loaded demo, a template
// database, a clustering of the shared data). The zero value is ready.
type OncePer[K comparable, V any] struct {
	mu sync.Mutex
	m  map[K]*onceResult[V]
}

type onceResult[V any] struct {
	once sync.Once
	v    V
}

// Do returns f's result for key, running f if no call for key has.
func (o *OncePer[K, V]) Do(key K, f func() V) V {
	o.mu.Lock()
	if o.m == nil {
		o.m = map[K]*onceResult[V]{}
	}
	r := o.m[key]
	if r == nil {
		r = &onceResult[V]{}
		o.m[key] = r
	}
	o.mu.Unlock()
	r.once.Do(func() { r.v = f() })
	return r.v
}
