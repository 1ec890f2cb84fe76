// Command sessionleak reproduces a Go heap leak without goroutine growth: every request stores a
// session record (a key and a 32 KiB rendered payload) in a process-wide map that nothing ever
// evicts, so the live heap grows by one record per request while the goroutine count stays flat.
// With -leak=false it is the fixed twin: the same map bounded to -keep records, oldest evicted first.
//
// It serves /visit (the request), /metrics (client_golang's default registry:
// process_resident_memory_bytes, go_goroutines, ...) and /healthz. Each request also allocates
// -garbage-kib of short-lived memory, so RSS shows the GC sawtooth. Load it with redisleak's own
// driver (redisleak -load URL -rps N); see ../../scripts/record-service.sh.
package main

import (
	"crypto/sha256"
	"flag"
	"fmt"
	"log"
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// sessions is the leak's owner: a global cache keyed by request number.
type sessions struct {
	mu      sync.Mutex
	byID    map[uint64][]byte
	order   []uint64 // insertion order, for eviction when bounded
	keep    int      // 0: unbounded (the leak)
	counter uint64
}

func (s *sessions) store(payload []byte) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counter++
	s.byID[s.counter] = payload
	if s.keep > 0 {
		s.order = append(s.order, s.counter)
		for len(s.order) > s.keep {
			delete(s.byID, s.order[0])
			s.order = s.order[1:]
		}
	}
	return s.counter
}

func main() {
	listen := flag.String("listen", "127.0.0.1:6061", "HTTP listen address")
	leak := flag.Bool("leak", true, "keep every session forever (false: keep only the newest -keep)")
	keep := flag.Int("keep", 512, "sessions kept when -leak=false")
	payloadKiB := flag.Int("payload-kib", 32, "size of each stored session, in KiB")
	garbageKiB := flag.Int("garbage-kib", 512, "short-lived allocation per request, in KiB (a GC sawtooth in RSS)")
	flag.Parse()

	cache := &sessions{byID: map[uint64][]byte{}}
	if !*leak {
		cache.keep = *keep
	}
	http.HandleFunc("/visit", func(w http.ResponseWriter, r *http.Request) {
		garbage := make([]byte, *garbageKiB*1024)
		for i := range garbage {
			garbage[i] = byte(i)
		}
		sum := sha256.Sum256(garbage)
		payload := make([]byte, *payloadKiB*1024)
		for i := range payload {
			payload[i] = sum[i%len(sum)] ^ byte(i>>8)
		}
		id := cache.store(payload)
		fmt.Fprintf(w, "session %d %x\n", id, sum[:4])
	})
	http.Handle("/metrics", promhttp.Handler())
	http.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	log.Printf("listening on %s leak=%v", *listen, *leak)
	log.Fatal(http.ListenAndServe(*listen, nil))
}
