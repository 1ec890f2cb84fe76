// Command redisleak reproduces the incident leakguard exists for: an HTTP handler
// that builds a new Redis client (a connection pool with its own reaper goroutine)
// on every request and never closes it. It also runs a fixed, labelled pool of
// queue workers so the goroutine profile has a large group that does NOT grow.
//
// Build (Debian GOPATH mode, no modules):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode:$HOME/go go build -o redisleak .
//
// Run: redisleak -listen 127.0.0.1:PORT -redis 127.0.0.1:REDISPORT
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net/http"
	_ "net/http/pprof"
	"runtime/pprof"

	"gopkg.in/redis.v5"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:6060", "HTTP listen address")
	redisAddr := flag.String("redis", "127.0.0.1:6379", "Redis address")
	workers := flag.Int("workers", 50, "number of idle queue workers (a stable goroutine group)")
	flag.Parse()

	jobs := make(chan string)
	for i := 0; i < *workers; i++ {
		go pprof.Do(context.Background(), pprof.Labels("role", "queue-worker"), func(context.Context) {
			queueWorker(jobs)
		})
	}

	http.HandleFunc("/visit", func(w http.ResponseWriter, r *http.Request) {
		// The bug: a new client (and pool, and reaper goroutine) per request, never closed.
		client := redis.NewClient(&redis.Options{Addr: *redisAddr})
		n, err := client.Incr("visits").Result()
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		fmt.Fprintf(w, "visit %d\n", n)
	})
	log.Fatal(http.ListenAndServe(*listen, nil))
}

func queueWorker(jobs <-chan string) {
	for job := range jobs {
		log.Printf("job %s", job)
	}
}
