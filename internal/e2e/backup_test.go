//go:build unix

package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parkd/parkd/client"
	"github.com/parkd/parkd/internal/blob"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/server"
	"github.com/parkd/parkd/protocol"
)

// TestBackupUnderLoadRestores runs parkd on SQLite while four parking
// systems send entries over the wire, one request after another. With
// the senders running, `parkd backup` copies the data folder; the senders
// go on until the backup has finished. The backup is restored into a
// fresh folder with `parkd restore`, parkd is started on it, and every
// entry acknowledged before the backup started is stored there, as is
// the picture sent before it (its bytes served back). Restoring over the
// non-empty folder is refused without --force.
func TestBackupUnderLoadRestores(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the parkd binary")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	bin := buildParkd(t)
	dataDir := t.TempDir()
	const senders = 4
	for i := range senders {
		runParkd(ctx, t, bin, "account", "add", "--data", dataDir, "--user-id", fmt.Sprintf("backupvendor%d", i), "--password", password)
	}
	p := startParkd(ctx, t, bin, parkdSpec{flags: serveFlags(dataDir), ready: 15 * time.Second})
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()

	vendors := make([]*client.Client, senders)
	isv := make([]string, senders)
	for i := range vendors {
		c, err := client.New(client.Config{BaseURL: p.url, UserID: fmt.Sprintf("backupvendor%d", i), Password: password, HTTPClient: hc})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Login(ctx); err != nil {
			t.Fatal(err)
		}
		vendors[i] = c
		isv[i] = sdkPark(t, c, parkInfo(parkA))
	}
	img := testJPEG(t)
	if _, err := vendors[0].Picture(ctx, client.Photo{ParkCode: parkA, ID: photoID, FileName: photoID + ".jpg",
		ImageBizType: protocol.ImagePlate, PickTime: time.Now().Add(-time.Second), Data: img}); err != nil {
		t.Fatalf("picture: %v", err)
	}

	// acked[i] lists the entries of sender i acknowledged (code 0) so far.
	var mu sync.Mutex
	acked := make([][]string, senders)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, senders)
	for i := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 1; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				id := recordID(i*1_000_000 + n)
				rec := enter(t, parkA, id, plateOf(n%90000+10000), "2024-01-01 08:00:00")
				rec.EnterTime = protocol.NewDateTime(time.Now().Add(-time.Minute))
				if _, err := vendors[i].EnterRecord(ctx, rec); err != nil {
					errs <- fmt.Errorf("sender %d, entry %d: %w", i, n, err)
					return
				}
				mu.Lock()
				acked[i] = append(acked[i], id)
				mu.Unlock()
			}
		}()
	}
	// Let some entries through, then note what was acknowledged before
	// the backup starts.
	for {
		mu.Lock()
		n := len(acked[senders-1])
		mu.Unlock()
		if n >= 50 {
			break
		}
		select {
		case err := <-errs:
			t.Fatal(err)
		case <-ctx.Done():
			t.Fatal("the senders made no progress")
		case <-time.After(10 * time.Millisecond):
		}
	}
	mu.Lock()
	before := make([][]string, senders)
	for i := range acked {
		before[i] = append([]string(nil), acked[i]...)
	}
	mu.Unlock()
	out := filepath.Join(t.TempDir(), "parkd-backup.tar")
	msg := runParkd(ctx, t, bin, "backup", "--data", dataDir, "--out", out)
	mu.Lock()
	during := 0
	for i := range acked {
		during += len(acked[i]) - len(before[i])
	}
	mu.Unlock()
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	total := 0
	for i := range before {
		total += len(before[i])
	}
	t.Logf("%s; %d entries acknowledged before it started, %d while it ran", strings.TrimSpace(msg), total, during)
	if !strings.Contains(msg, "1 pictures cited, 1 in the archive") {
		t.Errorf("backup said %q, want the one picture in the archive", msg)
	}
	hc.CloseIdleConnections()
	p.stop(t)

	// Restoring over a folder that holds data is refused, and changes
	// nothing.
	cmd := exec.CommandContext(ctx, bin, "restore", "--in", out, "--data", dataDir)
	cmd.Env = parkdEnv()
	if b, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(b), "not empty") {
		t.Errorf("restore over the live folder: %v\n%s", err, b)
	}

	restored := filepath.Join(t.TempDir(), "restored")
	runParkd(ctx, t, bin, "restore", "--in", out, "--data", restored)
	p = startParkd(ctx, t, bin, parkdSpec{flags: serveFlags(restored), ready: 15 * time.Second})
	p.stop(t)
	store, err := server.OpenStore(server.Config{DataDir: restored})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	missing := 0
	err = store.View(ctx, func(tx platform.Tx) error {
		for i := range before {
			for _, id := range before[i] {
				_, err := tx.Record(platform.KindEnter, isv[i], id)
				if platform.IsNotFound(err) {
					missing++
					continue
				}
				if err != nil {
					return err
				}
			}
		}
		pic, err := tx.Picture("backupvendor0", parkA, photoID)
		if err != nil || pic.Hash != blob.Key(img) {
			t.Errorf("restored picture: %+v %v", pic, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if missing > 0 {
		t.Errorf("%d of %d entries acknowledged before the backup are missing from the restore", missing, total)
	}
	fsStore, err := blob.NewFS(filepath.Join(restored, "pictures"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := fsStore.Get(ctx, blob.Key(img)); err != nil || !bytes.Equal(got, img) {
		t.Errorf("restored picture bytes: %v", err)
	}
	if _, err := os.Stat(filepath.Join(restored, "parkd.db")); errors.Is(err, os.ErrNotExist) {
		t.Error("no database restored")
	}
}
