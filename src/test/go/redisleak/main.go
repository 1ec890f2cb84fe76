// Command redisleak reproduces the incident leakguard exists for: an HTTP handler that builds a
// new Redis client (a connection pool with its own reaper goroutine) on every request and never
// closes it. With -leak=false it is the fixed twin: one shared client.
//
// It serves /visit (the request), /metrics (client_golang's default registry:
// process_resident_memory_bytes, go_goroutines, ...), /debug/pprof/ (net/http/pprof) and
// /healthz. Beside the leak it runs a fixed pool of queue workers labelled role=queue-worker
// (a large goroutine group that does not grow), and every request fans out to short-lived
// goroutines, so a profile taken under load catches goroutines starting and exiting.
//
// The same binary is its own load driver: -load URL -rps N sends N requests per second, so
// tests need no curl loops. See README.md.
package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"log"
	"math/rand"
	"net/http"
	_ "net/http/pprof"
	"os"
	"os/signal"
	"runtime/pprof"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"gopkg.in/redis.v5"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:6060", "HTTP listen address")
	redisAddr := flag.String("redis", "127.0.0.1:6379", "Redis address")
	leak := flag.Bool("leak", true, "create a new Redis client per request and never close it (false: one shared client)")
	workers := flag.Int("workers", 50, "idle queue workers labelled role=queue-worker (a stable goroutine group)")
	fanOut := flag.Int("fan-out", 3, "short-lived goroutines each request starts and waits for")
	garbageKiB := flag.Int("garbage-kib", 0, "short-lived allocation per request, in KiB (a GC sawtooth in RSS)")
	deep := flag.Int("deep", 0, "park one goroutine this many calls deep (tracebacks elide the middle of stacks over 100 frames)")
	loadURL := flag.String("load", "", "load driver mode: send requests to this URL instead of serving")
	rps := flag.Float64("rps", 20, "load driver: requests per second")
	duration := flag.Duration("duration", 0, "load driver: stop after this long (0: until SIGINT/SIGTERM)")
	keepAlive := flag.Bool("keepalive", false, "load driver: reuse connections (false: one connection per request, as many clients do)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *loadURL != "" {
		if err := drive(ctx, *loadURL, *rps, *duration, *keepAlive); err != nil {
			log.Fatal(err)
		}
		return
	}
	if *deep > 0 {
		go walkTree(*deep, make(chan struct{}))
	}
	if err := serve(ctx, *listen, *redisAddr, *leak, *workers, *fanOut, *garbageKiB); err != nil {
		log.Fatal(err)
	}
}

func serve(ctx context.Context, listen, redisAddr string, leak bool, workers, fanOut, garbageKiB int) error {
	jobs := make(chan string)
	for i := 0; i < workers; i++ {
		go pprof.Do(context.Background(), pprof.Labels("role", "queue-worker"), func(context.Context) {
			queueWorker(jobs)
		})
	}

	shared := redis.NewClient(&redis.Options{Addr: redisAddr})
	http.HandleFunc("/visit", func(w http.ResponseWriter, r *http.Request) {
		client := shared
		if leak {
			// The bug: a new client (and pool, and reaper goroutine) per request, never closed.
			client = redis.NewClient(&redis.Options{Addr: redisAddr})
		}
		n, err := client.Incr("visits").Result()
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		digest := fanOutWork(n, fanOut)
		if garbageKiB > 0 {
			garbage := make([]byte, garbageKiB*1024)
			rand.Read(garbage)
			digest[0] ^= garbage[len(garbage)-1]
		}
		fmt.Fprintf(w, "visit %d %x\n", n, digest[:4])
	})
	http.Handle("/metrics", promhttp.Handler())
	http.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })

	server := &http.Server{Addr: listen, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 30 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		server.Shutdown(shutdown)
	}()
	log.Printf("listening on %s (redis %s, leak=%v)", listen, redisAddr, leak)
	if err := server.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func queueWorker(jobs <-chan string) {
	for job := range jobs {
		log.Printf("job %s", job)
	}
}

// walkTree stands for a recursive algorithm (a parser, a tree walk) that waits at depth.
func walkTree(depth int, wait <-chan struct{}) {
	if depth > 1 {
		walkTree(depth-1, wait)
		return
	}
	<-wait
}

// fanOutWork is the request churn: a handful of goroutines that live a few milliseconds each,
// like the lookups a real handler fans out to.
func fanOutWork(seed int64, goroutines int) [sha256.Size]byte {
	parts := make([][sha256.Size]byte, goroutines)
	var wg sync.WaitGroup
	for i := range parts {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			time.Sleep(time.Duration(1+rand.Intn(5)) * time.Millisecond)
			parts[i] = sha256.Sum256([]byte(fmt.Sprint(seed, i)))
		}(i)
	}
	wg.Wait()
	var digest [sha256.Size]byte
	for _, part := range parts {
		for j := range digest {
			digest[j] ^= part[j]
		}
	}
	return digest
}

// drive sends rps requests per second to url until ctx ends or duration passes, each in its own
// goroutine so a slow answer does not lower the rate. It prints a one-line summary when it stops.
func drive(ctx context.Context, url string, rps float64, duration time.Duration, keepAlive bool) error {
	if rps <= 0 {
		return fmt.Errorf("-rps must be positive, was %v", rps)
	}
	if duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, duration)
		defer cancel()
	}
	client := &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{DisableKeepAlives: !keepAlive, MaxIdleConnsPerHost: 64},
	}
	var mu sync.Mutex
	counts := map[string]int{}
	count := func(outcome string) {
		mu.Lock()
		counts[outcome]++
		mu.Unlock()
	}
	var inFlight sync.WaitGroup
	ticker := time.NewTicker(time.Duration(float64(time.Second) / rps))
	defer ticker.Stop()
	started := time.Now()
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-ticker.C:
			inFlight.Add(1)
			go func() {
				defer inFlight.Done()
				resp, err := client.Get(url)
				if err != nil {
					count("error")
					return
				}
				resp.Body.Close()
				count(resp.Status)
			}()
		}
	}
	inFlight.Wait()
	mu.Lock()
	defer mu.Unlock()
	log.Printf("sent requests for %s at %.1f/s: %v", time.Since(started).Round(time.Millisecond), rps, counts)
	return nil
}
