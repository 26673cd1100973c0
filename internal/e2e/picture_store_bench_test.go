package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/server"
	"github.com/parkd/parkd/internal/testkit/blobtest"
	"github.com/parkd/parkd/internal/testkit/testserver"
	"github.com/parkd/parkd/protocol"
)

// benchStoreClients is the number of concurrent uploaders of
// BenchmarkPictureStore.
const benchStoreClients = 32

// benchStoreRounds is how many times BenchmarkPictureStore measures each
// store.
const benchStoreRounds = 3

// BenchmarkPictureStore uploads 300 KB photos, each with other bytes, over
// loopback HTTP to an in-process parkd (durable commits) whose picture
// store is the filesystem (store=fs) or an S3 bucket on versitygw, its
// posix backend on the same disk (store=s3), from 32 keep-alive clients.
// Each answer 0 means the bytes are stored (synced, or confirmed by the
// object store). It reports MB/s of photo bytes and the p99 of a request.
// The two stores alternate, fs, s3, fs, s3, ..., benchStoreRounds times
// each, so a change in the machine's load touches both alike.
//
//	go test -run XXX -bench PictureStore -benchtime 4s ./internal/e2e/
func BenchmarkPictureStore(b *testing.B) {
	g := blobtest.StartVersitygw(b)
	for round := range benchStoreRounds {
		b.Run(fmt.Sprintf("round=%d", round+1), func(b *testing.B) {
			for _, store := range []string{"fs", "s3"} {
				b.Run("store="+store, func(b *testing.B) {
					cfg := server.Config{PlainHTTP: true}
					if store == "s3" {
						s3 := g.Config("photos")
						cfg.Pictures = "s3://" + s3.Bucket + "/" + s3.Prefix
						cfg.S3 = s3
					}
					benchPictureStore(b, cfg)
				})
			}
		})
	}
}

func benchPictureStore(b *testing.B, cfg server.Config) {
	ts := testserver.Start(b, testserver.Options{Config: cfg})
	ts.AddAccount(b, benchUserID, benchPassword)
	token := ts.Login(b, benchUserID, benchPassword)
	pics := newBenchPictures(b, ts.Clock.Now(), benchRunTag())
	url := ts.URL + protocol.PictureCode.Path()
	tr := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: time.Minute, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: time.Minute}
	var next atomic.Int64
	var failures atomic.Int64
	var firstFailure atomic.Value
	lat := make([][]time.Duration, benchStoreClients)
	b.SetBytes(benchPictureSize)
	b.ResetTimer()
	var wg sync.WaitGroup
	for c := range benchStoreClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := bytes.NewBuffer(make([]byte, 0, 512))
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				body, n := pics.body(i)
				req, _ := http.NewRequest(http.MethodPost, url, body)
				req.ContentLength = n
				req.Header.Set("Content-Type", pics.contentType)
				req.Header.Set("Authorization", token)
				start := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					failures.Add(1)
					firstFailure.CompareAndSwap(nil, err.Error())
					continue
				}
				buf.Reset()
				_, err = buf.ReadFrom(resp.Body)
				resp.Body.Close()
				lat[c] = append(lat[c], time.Since(start))
				if err != nil || resp.StatusCode != http.StatusOK || !bytes.HasPrefix(buf.Bytes(), benchOKPrefix) {
					failures.Add(1)
					firstFailure.CompareAndSwap(nil, buf.String())
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	if len(all) > 0 {
		b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
	}
	if n := failures.Load(); n > 0 {
		b.Fatalf("%d of %d uploads failed; first: %v", n, b.N, firstFailure.Load())
	}
}
