package e2e

import (
	"bytes"
	"encoding"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm3"
	"github.com/parkd/parkd/internal/server"
	"github.com/parkd/parkd/internal/testkit/testserver"
	"github.com/parkd/parkd/protocol"
)

// benchPictureSize is the size of each picture BenchmarkPictureHTTP sends:
// a typical plate photo.
const benchPictureSize = 300 * 1024

// benchPictureTail is the number of bytes at the end of each picture that
// make it unique (run tag and index), so no upload is a duplicate.
const benchPictureTail = 16

// BenchmarkPictureHTTP measures picture uploads of 300 KB, each with
// other bytes, over loopback HTTP against an in-process parkd with
// durable commits, from many concurrent keep-alive clients; it reports
// MB/s of picture bytes.
func BenchmarkPictureHTTP(b *testing.B) {
	ts := testserver.Start(b, testserver.Options{Config: server.Config{PlainHTTP: true}})
	ts.AddAccount(b, benchUserID, benchPassword)
	token := ts.Login(b, benchUserID, benchPassword)
	pics := newBenchPictures(b, ts.Clock.Now(), benchRunTag())
	url := ts.URL + protocol.PictureCode.Path()
	tr := &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, IdleConnTimeout: time.Minute, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: time.Minute}
	var next atomic.Int64
	var failures atomic.Int64
	var firstFailure atomic.Value
	b.SetBytes(benchPictureSize)
	b.SetParallelism(benchParallelism)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU()
	b.RunParallel(func(pb *testing.PB) {
		buf := bytes.NewBuffer(make([]byte, 0, 512))
		for pb.Next() {
			body, n := pics.body(next.Add(1) - 1)
			req, err := http.NewRequest(http.MethodPost, url, body)
			if err != nil {
				panic(err)
			}
			req.ContentLength = n
			req.Header.Set("Content-Type", pics.contentType)
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
	if n := failures.Load(); n > 0 {
		b.Fatalf("%d of %d uploads failed; first: %v", n, b.N, firstFailure.Load())
	}
}

// benchPictures makes the upload bodies of one run without keeping b.N
// pictures in memory: every picture is one random JPEG but for its last
// benchPictureTail bytes, and its sign (SM3) resumes from the saved state
// of the shared part.
type benchPictures struct {
	now         time.Time
	tag         uint32
	shared      []byte // the picture but its tail
	state       []byte // SM3 state after shared
	contentType string
}

const benchBoundary = "parkdbenchpictureboundary0123456789"

func newBenchPictures(b *testing.B, now time.Time, tag uint32) *benchPictures {
	shared := make([]byte, benchPictureSize-benchPictureTail)
	rng := rand.New(rand.NewPCG(uint64(tag), 7))
	for i := range shared {
		shared[i] = byte(rng.Uint32())
	}
	copy(shared, []byte{0xFF, 0xD8, 0xFF, 0xE0})
	h := sm3.New()
	h.Write(shared)
	state, err := h.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		b.Fatal(err)
	}
	return &benchPictures{now: now, tag: tag, shared: shared, state: state,
		contentType: "multipart/form-data; boundary=" + benchBoundary}
}

// body returns the multipart body of upload i and its length.
func (p *benchPictures) body(i int64) (io.Reader, int64) {
	tail := make([]byte, benchPictureTail)
	binary.BigEndian.PutUint32(tail, p.tag)
	binary.BigEndian.PutUint64(tail[4:], uint64(i))
	h := sm3.New()
	if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(p.state); err != nil {
		panic(err)
	}
	h.Write(tail)
	id := fmt.Sprintf("%08x%024x", p.tag, i)
	ms := protocol.Millis(p.now)
	fields := protocol.PictureForm{Timestamp: ms, Sign: hex.EncodeToString(h.Sum(nil)), Version: protocol.Version,
		ParkCode: benchParkCode, ID: id, FileName: id + ".jpg", ImageBizType: protocol.ImagePlate, PickTime: ms - 1000}.Fields()
	var head bytes.Buffer
	w := multipart.NewWriter(&head)
	if err := w.SetBoundary(benchBoundary); err != nil {
		panic(err)
	}
	for _, k := range []string{protocol.FormTimestamp, protocol.FormSign, protocol.FormVersion, protocol.FormParkCode,
		protocol.FormID, protocol.FormFileName, protocol.FormImageBizType, protocol.FormPickTime} {
		if err := w.WriteField(k, fields[k]); err != nil {
			panic(err)
		}
	}
	if _, err := w.CreateFormFile(protocol.FormFile, id+".jpg"); err != nil {
		panic(err)
	}
	n := head.Len()
	if err := w.Close(); err != nil {
		panic(err)
	}
	all := head.Bytes()
	trailer := all[n:]
	size := int64(n + len(p.shared) + len(tail) + len(trailer))
	return io.MultiReader(bytes.NewReader(all[:n]), bytes.NewReader(p.shared), bytes.NewReader(tail),
		bytes.NewReader(trailer)), size
}
