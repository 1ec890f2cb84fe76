// Command metricsfixture serves a client_golang /metrics endpoint on loopback so that real
// Prometheus text and OpenMetrics bodies can be captured as parser fixtures (see README.md).
package main

import (
	"flag"
	"log"
	"net/http"
	"regexp"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9464", "loopback address to listen on")
	parked := flag.Int("parked-goroutines", 40, "goroutines parked forever, so go_goroutines is clearly above the baseline")
	flag.Parse()

	registry := prometheus.NewRegistry()
	registry.MustRegister(
		collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(
			collectors.GoRuntimeMetricsRule{Matcher: regexp.MustCompile("/.*")})),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)

	latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "fixture_request_duration_seconds",
		Help:    "Simulated request latency.",
		Buckets: prometheus.DefBuckets,
	}, []string{"method", "code"})
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "fixture_requests_total",
		Help: "Simulated requests, with label values that need escaping.",
	}, []string{"path"})
	registry.MustRegister(latency, requests)

	// Deterministic observations, some with exemplars (only the OpenMetrics form shows those).
	for i := 0; i < 200; i++ {
		code := "200"
		if i%17 == 0 {
			code = "500"
		}
		seconds := float64(i%23) * 0.013
		observer := latency.WithLabelValues("GET", code)
		if i%50 == 0 {
			observer.(prometheus.ExemplarObserver).ObserveWithExemplar(seconds, prometheus.Labels{"trace_id": "4bf92f3577b34da6"})
		} else {
			observer.Observe(seconds)
		}
	}
	latency.WithLabelValues("POST", "201").Observe(0.42)
	requests.WithLabelValues(`/search?q="leak"`).Add(3)
	requests.WithLabelValues(`C:\tmp\dump`).Add(1)
	requests.WithLabelValues("line1\nline2").Add(2)

	block := make(chan struct{})
	for i := 0; i < *parked; i++ {
		go func() { <-block }()
	}

	http.Handle("/metrics", promhttp.HandlerFor(registry, promhttp.HandlerOpts{EnableOpenMetrics: true}))
	log.Printf("serving /metrics on %s", *addr)
	log.Fatal(http.ListenAndServe(*addr, nil))
}
