//go:build linux

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parkd/parkd/protocol"
)

// The multipart bomb against a parkd child process: what answering it
// costs the server, and what four of them at once do to heartbeats.
// PARKD_BENCH_BIN names the parkd binary to run (another version's, for a
// before/after figure in the same sitting); by default this tree's is
// built. For example:
//
//	go test -run '^$' -bench PictureBomb -benchtime 3x ./internal/e2e/
//	PARKD_BENCH_BIN=/path/to/old/parkd go test -run '^$' -bench PictureBomb -benchtime 1x ./internal/e2e/

const (
	bombUser     = "bomb0001"
	bombPassword = "bomb-password-1"
)

// bombParkd starts the benchmark's parkd with one account and returns it
// and that account's token.
func bombParkd(b *testing.B) (*parkdProc, string) {
	b.Helper()
	bin := os.Getenv("PARKD_BENCH_BIN")
	if bin == "" {
		bin = buildParkd(b)
	}
	ctx := context.Background()
	dir := b.TempDir()
	runParkd(ctx, b, bin, "account", "add", "--data", dir, "--user-id", bombUser, "--password", bombPassword)
	p := startParkd(ctx, b, bin, parkdSpec{flags: serveFlags(dir), ready: time.Minute})
	resp, err := postURL(http.DefaultClient, p.url, protocol.Login, "", []protocol.LoginRequest{protocol.NewLoginRequest(bombUser, bombPassword)})
	if err != nil || resp.Code != protocol.CodeOK {
		b.Fatalf("login: %v %d %s", err, resp.Code, resp.Message)
	}
	var out []protocol.LoginResponse
	if err := json.Unmarshal(resp.Data, &out); err != nil || len(out) != 1 {
		b.Fatalf("login data %s", resp.Data)
	}
	return p, out[0].AccessToken
}

// postURL sends items to code at base as a signed envelope stamped with
// the wall clock.
func postURL(hc *http.Client, base string, code protocol.Interface, token string, items any) (protocol.Response, error) {
	var resp protocol.Response
	data, err := json.Marshal(items)
	if err != nil {
		return resp, err
	}
	body := envelope(protocol.Millis(time.Now()), protocol.Sign(data), data)
	req, err := http.NewRequest(http.MethodPost, base+code.Path(), bytes.NewReader(body))
	if err != nil {
		return resp, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	res, err := hc.Do(req)
	if err != nil {
		return resp, err
	}
	defer res.Body.Close()
	return resp, json.NewDecoder(res.Body).Decode(&resp)
}

// sendBomb posts the bomb to base and returns the answer's code.
func sendBomb(hc *http.Client, base, token string, bomb []byte, ct string) (protocol.Code, error) {
	req, err := http.NewRequest(http.MethodPost, base+protocol.PictureCode.Path(), bytes.NewReader(bomb))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", ct)
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	res, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	var resp protocol.Response
	if err := json.NewDecoder(res.Body).Decode(&resp); err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, res.Body)
	return resp.Code, nil
}

// procCPU returns the CPU time (user and system) process pid has used,
// from /proc/pid/stat.
func procCPU(b *testing.B, pid int) time.Duration {
	b.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// Fields after the command name, which is in parentheses: utime
	// and stime are the 14th and 15th fields of the line.
	f := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+2:]))
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			b.Fatal(err)
		}
		ticks += n
	}
	return time.Duration(ticks) * (time.Second / 100) // USER_HZ is 100 on Linux
}

// BenchmarkPictureBomb sends the bomb, one at a time, without a token and
// with a valid one, and reports the time to its answer (or to the server
// cutting the connection, counted in cut/op) and the server's CPU per
// bomb.
func BenchmarkPictureBomb(b *testing.B) {
	p, token := bombParkd(b)
	bomb, ct := pictureBomb(b)
	hc := &http.Client{Timeout: 5 * time.Minute}
	for _, tc := range []struct {
		name  string
		token string
		want  protocol.Code
	}{{"no token", "", protocol.CodeToken}, {"token", token, protocol.CodeParam}} {
		b.Run(tc.name, func(b *testing.B) {
			var wall time.Duration
			var cut int
			cpu := procCPU(b, p.pid)
			for b.Loop() {
				start := time.Now()
				code, err := sendBomb(hc, p.url, tc.token, bomb, ct)
				wall += time.Since(start)
				switch {
				case err != nil:
					cut++ // the server cut the connection (its read timeout) without an answer
					b.Logf("no answer: %v", err)
				case code != tc.want:
					b.Logf("answered %d (this tree answers %d)", code, tc.want)
				}
			}
			cpu = procCPU(b, p.pid) - cpu
			n := float64(b.N)
			b.ReportMetric(float64(wall.Microseconds())/1000/n, "ms/answer")
			b.ReportMetric(float64(cpu.Milliseconds())/n, "server-cpu-ms/op")
			b.ReportMetric(float64(cut)/n, "cut/op")
		})
	}
}

// BenchmarkHeartbeatUnderPictureBombs measures heartbeat latency with no
// bombs, then while four clients send bombs (two without a token, two
// with one), in the same run, and reports both p99s and their
// ratio, and how many bombs were answered (or failed: the connection cut
// before the answer was read) per second meanwhile, with the server's
// CPU over that phase (100 % is one core). Each iteration is 300
// heartbeats, one every 10 ms, of each phase. In "back to back" each client sends its next
// bomb as soon as the last is answered, so four are always in flight
// (against a server that answers in milliseconds this measures the
// generator, which shares the two cores, as much as parkd); in "4 per
// second" each client sends one every 250 ms.
func BenchmarkHeartbeatUnderPictureBombs(b *testing.B) {
	for _, pace := range []struct {
		name  string
		every time.Duration
	}{{"back to back", 0}, {"4 per second", 250 * time.Millisecond}} {
		b.Run(pace.name, func(b *testing.B) { heartbeatUnderBombs(b, pace.every) })
	}
}

// heartbeatUnderBombs is BenchmarkHeartbeatUnderPictureBombs with each
// client sending a bomb every interval (0: back to back).
func heartbeatUnderBombs(b *testing.B, every time.Duration) {
	p, token := bombParkd(b)
	bomb, ct := pictureBomb(b)
	hc := &http.Client{Timeout: 5 * time.Minute}
	beat := func() time.Duration {
		start := time.Now()
		resp, err := postURL(hc, p.url, protocol.HeartBeats, token,
			[]protocol.HeartbeatRequest{{RequestTime: protocol.NewDateTime(time.Now())}})
		d := time.Since(start)
		if err != nil || resp.Code != protocol.CodeOK {
			b.Fatalf("heartbeat: %v %d %s", err, resp.Code, resp.Message)
		}
		return d
	}
	// 300 heartbeats, one every 10 ms (or at once after a slow one).
	const beats = 300
	beats300 := func(into []time.Duration) []time.Duration {
		next := time.Now()
		for range beats {
			time.Sleep(time.Until(next))
			next = next.Add(10 * time.Millisecond)
			into = append(into, beat())
		}
		return into
	}
	var quiet, bombed []time.Duration
	var answered, failed atomic.Int64
	var bombTime, bombCPU time.Duration
	for b.Loop() {
		quiet = beats300(quiet)
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for i := range 4 {
			tok := ""
			if i%2 == 1 {
				tok = token
			}
			wg.Go(func() {
				bc := &http.Client{Timeout: 5 * time.Minute}
				for {
					next := time.Now().Add(every)
					select {
					case <-stop:
						return
					default:
					}
					if _, err := sendBomb(bc, p.url, tok, bomb, ct); err != nil {
						failed.Add(1)
						continue
					}
					answered.Add(1)
					select {
					case <-stop:
						return
					case <-time.After(time.Until(next)):
					}
				}
			})
		}
		start, cpu := time.Now(), procCPU(b, p.pid)
		bombed = beats300(bombed)
		bombTime += time.Since(start)
		bombCPU += procCPU(b, p.pid) - cpu
		close(stop)
		wg.Wait()
	}
	q, w := p99(quiet), p99(bombed)
	b.ReportMetric(float64(q.Microseconds())/1000, "p99-quiet-ms")
	b.ReportMetric(float64(w.Microseconds())/1000, "p99-bombs-ms")
	b.ReportMetric(float64(w)/float64(q), "p99-ratio")
	b.ReportMetric(float64(answered.Load())/bombTime.Seconds(), "bombs/s")
	b.ReportMetric(float64(failed.Load())/bombTime.Seconds(), "bomb-errors/s")
	b.ReportMetric(100*bombCPU.Seconds()/bombTime.Seconds(), "server-cpu-%")
}

// p99 returns the 99th percentile of ds.
func p99(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[(len(s)*99)/100]
}
