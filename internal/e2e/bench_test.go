package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/server"
	"github.com/parkd/parkd/internal/sqlite"
	"github.com/parkd/parkd/internal/testkit/testserver"
	"github.com/parkd/parkd/protocol"
)

// Benchmark parameters.
const (
	benchParallelism = 16 // client goroutines per GOMAXPROCS (pictures)
	benchUserID      = "benchvendor"
	benchPassword    = "Bench@2024"
	benchParkCode    = "be0cbe0cbe0cbe0cbe0cbe0cbe0cbe0c"
)

// benchOKPrefix starts every answer with code 0, from parkd (encoding/json
// writes the envelope's fields in order) and from the bare handler.
var benchOKPrefix = []byte(`{"code":0,`)

// benchBareResponse is what the bare handler answers: a response envelope
// of the size parkd sends for one stored record.
var benchBareResponse = []byte(`{"code":0,"message":"成功","timestamp":1704067200000,"data":[{"id":"00000000000000000000000000000000"}]}`)

// benchClients are the numbers of concurrent keep-alive clients, per
// GOMAXPROCS, that the ingest benchmarks are run with: group commit shares
// a sync among the requests in flight, so parkd's rate depends on how many
// lots send at once while the bare handler's does not.
var benchClients = []int{16, 64}

// benchSweep runs fn as one sub-benchmark per entry of benchClients, named
// by the total number of clients.
func benchSweep(b *testing.B, fn func(b *testing.B, parallelism int)) {
	for _, p := range benchClients {
		b.Run(fmt.Sprintf("clients=%d", p*runtime.GOMAXPROCS(0)), func(b *testing.B) { fn(b, p) })
	}
}

// BenchmarkEnterRecordHTTP measures single-item enterRecord requests over
// loopback HTTP against an in-process parkd with durable commits
// (synchronous FULL), from many concurrent keep-alive clients.
func BenchmarkEnterRecordHTTP(b *testing.B) {
	benchSweep(b, func(b *testing.B, p int) { benchEnterRecord(b, "", p) })
}

// BenchmarkEnterRecordHTTPSyncNormal is BenchmarkEnterRecordHTTP with
// synchronous NORMAL commits.
func BenchmarkEnterRecordHTTPSyncNormal(b *testing.B) {
	benchSweep(b, func(b *testing.B, p int) { benchEnterRecord(b, "normal", p) })
}

// BenchmarkBareNetHTTP sends the same requests with the same client to a
// net/http handler that only reads the body and writes a fixed answer:
// the ceiling for BenchmarkEnterRecordHTTP on this machine.
func BenchmarkBareNetHTTP(b *testing.B) {
	benchSweep(b, func(b *testing.B, p int) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, err := io.Copy(io.Discard, r.Body); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			_, _ = w.Write(benchBareResponse)
		}))
		defer srv.Close()
		bodies := benchBodies(b.N, time.Now(), benchRunTag())
		benchRun(b, srv.URL+protocol.EnterRecordCode.Path(), benchBareToken, bodies, p)
	})
}

// benchBareToken is the authorization header sent to the bare
// handler: a token of the real length, so both servers parse the same
// headers.
const benchBareToken = "0123456789abcdef0123456789abcdef"

// benchEnterRecord starts parkd with the given Config.Sync, creates an
// account and a park, and runs benchRun against enterRecord.
func benchEnterRecord(b *testing.B, sync string, parallelism int) {
	ts := testserver.Start(b, testserver.Options{Config: server.Config{PlainHTTP: true, Sync: sync}})
	ts.AddAccount(b, benchUserID, benchPassword)
	token := ts.Login(b, benchUserID, benchPassword)
	park := []map[string]any{{
		"parkName": "基准测试停车场", "parkCode": benchParkCode, "permitNo": "", "parkType": 1,
		"address": "深圳市南山区科技园", "longitude": 113.95, "latitude": 22.54, "areaCode": "440305",
		"serviceType": 8, "bizStatus": 1, "totalSpaces": 1000000, "reservable": 0, "reservableSpaces": 0,
		"totalReservableCharingSpaces": 0, "imageId": "7c9e6679742540de944be07fc1f90ae7",
	}}
	if resp := ts.Post(b, protocol.ParkInfoCode, token, park); resp.Code != protocol.CodeOK {
		b.Fatalf("parkInfo: code %d %s", resp.Code, resp.Message)
	}
	bodies := benchBodies(b.N, ts.Clock.Now(), benchRunTag())
	st, _ := ts.Store.(*sqlite.Store)
	before := st.Stats()
	benchRun(b, ts.URL+protocol.EnterRecordCode.Path(), token, bodies, parallelism)
	after := st.Stats()
	b.ReportMetric(float64(after.Updates-before.Updates)/float64(after.Commits-before.Commits), "updates/commit")
}

// benchTag distinguishes the ids of successive benchmark runs.
var benchTag atomic.Uint32

// benchRunTag returns a new tag for one run's ids.
func benchRunTag() uint32 { return benchTag.Add(1) }

// benchBodies returns n signed enterRecord envelopes stamped at now, each
// with one item whose id (32 lowercase hex) is unique to the run tag and
// the body's index.
func benchBodies(n int, now time.Time, tag uint32) [][]byte {
	enter := protocol.NewDateTime(now.Add(-time.Hour))
	bodies := make([][]byte, n)
	for i := range bodies {
		item := protocol.EnterRecord{
			ParkCode: benchParkCode, ID: fmt.Sprintf("%08x%024x", tag, i),
			PlateNo: fmt.Sprintf("粤B%05d", i%100000), EnterTime: enter,
			EntryCarPhotoID: "11112222333344445555666677778888", EntranceCode: "GATE01",
		}
		data, err := json.Marshal([]protocol.EnterRecord{item})
		if err != nil {
			panic(err)
		}
		body, err := json.Marshal(protocol.Request{Timestamp: protocol.Millis(now), Sign: protocol.Sign(data),
			Version: protocol.Version, Data: data})
		if err != nil {
			panic(err)
		}
		bodies[i] = body
	}
	return bodies
}

// benchRun posts every body once to url from parallelism goroutines
// per GOMAXPROCS sharing one keep-alive transport, checks that each answer
// has code 0, and reports requests per second.
func benchRun(b *testing.B, url, token string, bodies [][]byte, parallelism int) {
	tr := &http.Transport{
		MaxIdleConns:        1024,
		MaxIdleConnsPerHost: 1024,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: time.Minute}
	var next atomic.Int64
	var failures atomic.Int64
	var firstFailure atomic.Value
	b.SetParallelism(parallelism)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU()
	b.RunParallel(func(pb *testing.PB) {
		buf := bytes.NewBuffer(make([]byte, 0, 512))
		for pb.Next() {
			body := bodies[next.Add(1)-1]
			req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
			if err != nil {
				panic(err)
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", token)
			resp, err := client.Do(req)
			if err != nil {
				failures.Add(1)
				firstFailure.CompareAndSwap(nil, err.Error())
				continue
			}
			buf.Reset()
			_, err = buf.ReadFrom(resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != http.StatusOK || !bytes.HasPrefix(buf.Bytes(), benchOKPrefix) {
				failures.Add(1)
				firstFailure.CompareAndSwap(nil, fmt.Sprintf("HTTP %d %v: %s", resp.StatusCode, err, buf.Bytes()))
			}
		}
	})
	b.StopTimer()
	reportCPU(b, cpu)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	if n := failures.Load(); n > 0 {
		b.Fatalf("%d of %d requests failed; first: %v", n, b.N, firstFailure.Load())
	}
}

// processCPU returns the user and system CPU time the process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the process CPU time per operation since start, client
// and server together: on a shared machine it varies less than the rate,
// which depends on the CPU the process gets.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64((processCPU()-start).Microseconds())/float64(b.N), "cpu-µs/op")
}
