// Command redisleak is a tiny HTTP service that reproduces the leak leakguard was built for:
// with -leak it creates a new Redis client (a connection pool with its own reaper goroutine)
// on every request and never closes it, so goroutines and memory climb with traffic.
// Without -leak it shares one client, which is the correct code.
//
// Every request also allocates short-lived garbage so the heap shows a real GC sawtooth.
// It serves /work (the request) and /metrics (Prometheus: go_goroutines,
// process_resident_memory_bytes, ...). Used only to record traces for the detection
// benchmark; see record-redisleak.sh.
package main

import (
	"flag"
	"fmt"
	"log"
	"math/rand"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"gopkg.in/redis.v5"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:18080", "HTTP listen address")
	redisAddr := flag.String("redis", "127.0.0.1:16379", "Redis address")
	leak := flag.Bool("leak", false, "create a new Redis client per request and never close it")
	garbageKiB := flag.Int("garbage-kib", 512, "short-lived allocation per request, in KiB")
	flag.Parse()

	shared := redis.NewClient(&redis.Options{Addr: *redisAddr})
	http.HandleFunc("/work", func(w http.ResponseWriter, r *http.Request) {
		client := shared
		if *leak {
			client = redis.NewClient(&redis.Options{Addr: *redisAddr})
		}
		if err := client.Incr("requests").Err(); err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		garbage := make([]byte, *garbageKiB*1024)
		rand.Read(garbage)
		fmt.Fprintf(w, "ok %d\n", garbage[len(garbage)-1])
	})
	http.Handle("/metrics", promhttp.Handler())
	log.Printf("listening on %s (leak=%v)", *listen, *leak)
	server := &http.Server{Addr: *listen, ReadHeaderTimeout: 5 * time.Second}
	log.Fatal(server.ListenAndServe())
}
