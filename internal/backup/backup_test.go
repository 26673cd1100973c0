package backup_test

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/backup"
	"github.com/parkd/parkd/internal/blob"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/sqlite"
)

// seedFolder makes a data folder with one account, one park and two
// pictures citing one blob, and a stray blob no picture cites.
func seedFolder(t *testing.T) (dir string, cited, stray []byte) {
	t.Helper()
	dir = t.TempDir()
	store, err := sqlite.Open(filepath.Join(dir, "parkd.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	pics, err := blob.NewFS(filepath.Join(dir, "pictures"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cited, stray = []byte("a cited photo"), []byte("a photo no record cites")
	key, _ := pics.Put(ctx, cited)
	if _, err := pics.Put(ctx, stray); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	err = store.Update(ctx, func(tx platform.Tx) error {
		if err := tx.PutAccount(platform.Account{UserID: "u", PasswordHash: []byte("x"), CreatedAt: now}); err != nil {
			return err
		}
		for _, id := range []string{"a", "b"} {
			if err := tx.PutPicture(platform.Picture{UserID: "u", ParkCode: "c1", ID: id, Hash: key, Size: len(cited),
				ReceivedAt: now, PickTime: now}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir, cited, stray
}

// A backup holds the database and the one blob its pictures cite, not
// the stray one; a restore brings both back, into an empty folder only
// unless forced.
func TestBackupAndRestore(t *testing.T) {
	ctx := context.Background()
	dir, cited, stray := seedFolder(t)
	out := filepath.Join(t.TempDir(), "b.tar")
	m, err := backup.Backup(ctx, backup.Options{DataDir: dir}, out)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Pictures) != 1 || m.Pictures[0].Key != blob.Key(cited) || !m.Pictures[0].InArchive ||
		m.Pictures[0].Size != int64(len(cited)) {
		t.Fatalf("manifest %+v, want the one cited picture, in the archive", m.Pictures)
	}
	if names := tarNames(t, out); strings.Contains(names, blob.Key(stray)) || !strings.Contains(names, "parkd.db") {
		t.Errorf("archive holds %s", names)
	}

	to := filepath.Join(t.TempDir(), "restored")
	if _, err := backup.Restore(ctx, out, to, false); err != nil {
		t.Fatal(err)
	}
	store, err := sqlite.Open(filepath.Join(to, "parkd.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = store.View(ctx, func(tx platform.Tx) error {
		_, err := tx.Picture("u", "c1", "b")
		return err
	})
	store.Close()
	if err != nil {
		t.Fatalf("restored database: %v", err)
	}
	pics, _ := blob.NewFS(filepath.Join(to, "pictures"))
	if got, err := pics.Get(ctx, blob.Key(cited)); err != nil || !bytes.Equal(got, cited) {
		t.Errorf("restored picture: %v", err)
	}
	if _, err := backup.Restore(ctx, out, to, false); !errors.Is(err, backup.ErrNotEmpty) {
		t.Errorf("restore over a restored folder: %v, want ErrNotEmpty", err)
	}
	if _, err := backup.Restore(ctx, out, to, true); err != nil {
		t.Errorf("forced restore: %v", err)
	}
}

// Without pictures the archive holds only the database and the manifest,
// which still lists the cited keys.
func TestBackupWithoutPictures(t *testing.T) {
	dir, cited, _ := seedFolder(t)
	out := filepath.Join(t.TempDir(), "b.tar")
	m, err := backup.Backup(context.Background(), backup.Options{DataDir: dir, NoPictures: true}, out)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Pictures) != 1 || m.Pictures[0].InArchive || m.Pictures[0].Key != blob.Key(cited) {
		t.Errorf("manifest %+v", m.Pictures)
	}
	if names := tarNames(t, out); strings.Contains(names, "pictures/") {
		t.Errorf("archive holds pictures: %s", names)
	}
}

// A picture whose bytes do not match its key is refused at restore.
func TestRestoreRefusesAlteredPictures(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add := func(name string, b []byte) {
		_ = tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: int64(len(b)), Typeflag: tar.TypeReg})
		_, _ = tw.Write(b)
	}
	add("MANIFEST", []byte(`{"format":"`+backup.Format+`"}`))
	k := blob.Key([]byte("original"))
	add("pictures/"+k[:2]+"/"+k[2:4]+"/"+k, []byte("altered"))
	tw.Close()
	in := filepath.Join(t.TempDir(), "b.tar")
	if err := os.WriteFile(in, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := backup.Restore(context.Background(), in, t.TempDir(), false); err == nil || !strings.Contains(err.Error(), "other bytes") {
		t.Errorf("restore of an altered picture: %v", err)
	}
}

func tarNames(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var names []string
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		names = append(names, h.Name)
	}
	return strings.Join(names, " ")
}
