// Package backup copies a SQLite data folder while parkd serves it, and
// restores such a copy into an empty folder.
//
// A backup is one tar file:
//
//	MANIFEST         JSON: format, time, schema, and every picture key the
//	                 database cites with its size and whether its bytes
//	                 are in the archive
//	parkd.db         a consistent copy of the database (VACUUM INTO, one
//	                 read transaction: the state of one instant)
//	instance-id      the folder's lease holder name, so a restored parkd
//	                 takes its jobs over at once
//	pictures/ab/cd/K the bytes of each picture the copy cites (unless
//	                 Options.NoPictures, e.g. for pictures kept in S3,
//	                 which the object store backs up itself)
//
// Pictures are content-addressed and written (and synced) before the
// record citing them is acknowledged, so every picture the database copy
// cites is on disk when the copy is taken; only retention deleting one
// meanwhile can take it away, and then the manifest says so.
package backup

import (
	"archive/tar"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/parkd/parkd/internal/blob"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

// Format names the archive layout in its manifest.
const Format = "parkd-backup-1"

// Manifest is the first entry of a backup.
type Manifest struct {
	Format   string    `json:"format"`
	TakenAt  time.Time `json:"takenAt"`
	Pictures []Picture `json:"pictures"`
}

// Picture is one blob the database cites.
type Picture struct {
	Key  string `json:"key"`
	Size int64  `json:"size"`
	// InArchive is false when the bytes are not in the archive: the
	// backup was taken without pictures, or the file was gone.
	InArchive bool `json:"inArchive"`
}

// Options say what to back up.
type Options struct {
	DataDir string // holds parkd.db
	// Pictures is the picture folder (default DataDir/pictures).
	Pictures string
	// NoPictures leaves the pictures' bytes out; the manifest lists them.
	NoPictures bool
	Now        func() time.Time
}

// Backup writes a backup of o.DataDir to out (written to out.tmp, synced,
// then renamed) and returns its manifest.
func Backup(ctx context.Context, o Options, out string) (Manifest, error) {
	if o.Pictures == "" {
		o.Pictures = filepath.Join(o.DataDir, "pictures")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	db := filepath.Join(o.DataDir, "parkd.db")
	if _, err := os.Stat(db); err != nil {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	tmpDir, err := os.MkdirTemp(filepath.Dir(out), ".parkd-backup-*")
	if err != nil {
		return Manifest{}, err
	}
	defer os.RemoveAll(tmpDir)
	snap := filepath.Join(tmpDir, "parkd.db")
	m := Manifest{Format: Format, TakenAt: o.Now().UTC()}
	if err := snapshot(ctx, db, snap); err != nil {
		return m, err
	}
	keys, err := citedPictures(ctx, snap)
	if err != nil {
		return m, err
	}
	tmp := out + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return m, err
	}
	defer os.Remove(tmp)
	defer f.Close()
	tw := tar.NewWriter(f)
	var pics []string
	for _, k := range keys {
		p := Picture{Key: k}
		path := filepath.Join(o.Pictures, k[:2], k[2:4], k)
		if fi, err := os.Stat(path); err == nil {
			p.Size = fi.Size()
			p.InArchive = !o.NoPictures
		}
		if p.InArchive {
			pics = append(pics, path)
		}
		m.Pictures = append(m.Pictures, p)
	}
	mj, _ := json.MarshalIndent(m, "", " ")
	if err := addBytes(tw, "MANIFEST", mj, m.TakenAt); err != nil {
		return m, err
	}
	if err := addFile(tw, "parkd.db", snap); err != nil {
		return m, err
	}
	if id, err := os.ReadFile(filepath.Join(o.DataDir, "instance-id")); err == nil {
		if err := addBytes(tw, "instance-id", id, m.TakenAt); err != nil {
			return m, err
		}
	}
	for _, path := range pics {
		if err := ctx.Err(); err != nil {
			return m, err
		}
		k := filepath.Base(path)
		if err := addFile(tw, "pictures/"+k[:2]+"/"+k[2:4]+"/"+k, path); err != nil {
			return m, err
		}
	}
	if err := tw.Close(); err != nil {
		return m, err
	}
	if err := f.Sync(); err != nil {
		return m, err
	}
	if err := f.Close(); err != nil {
		return m, err
	}
	return m, os.Rename(tmp, out)
}

// snapshot copies the database at db into dst with VACUUM INTO: one read
// transaction, so the copy is the state of one instant, taken beside the
// serving process (WAL lets it write meanwhile).
func snapshot(ctx context.Context, db, dst string) error {
	conn, err := sql.Open("sqlite", "file:"+db+"?_pragma=busy_timeout(30000)")
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "VACUUM INTO ?", dst); err != nil {
		return fmt.Errorf("backup: VACUUM INTO: %w", err)
	}
	return nil
}

// citedPictures lists the distinct blob keys the copy's pictures cite.
func citedPictures(ctx context.Context, db string) ([]string, error) {
	conn, err := sql.Open("sqlite", "file:"+db+"?mode=ro")
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	rows, err := conn.QueryContext(ctx, "SELECT DISTINCT hash FROM pictures ORDER BY hash")
	if err != nil {
		return nil, fmt.Errorf("backup: listing pictures: %w", err)
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		if blob.CheckKey(k) == nil {
			keys = append(keys, k)
		}
	}
	return keys, rows.Err()
}

func addBytes(tw *tar.Writer, name string, b []byte, at time.Time) error {
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: int64(len(b)), ModTime: at, Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	_, err := tw.Write(b)
	return err
}

func addFile(tw *tar.Writer, name, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: fi.Size(), ModTime: fi.ModTime(), Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	_, err = io.Copy(tw, f)
	return err
}

// ErrNotEmpty is returned by Restore for a data folder that holds files.
var ErrNotEmpty = errors.New("data folder is not empty")

// Restore unpacks the backup in into dataDir, which must be empty (or
// missing) unless force. Every picture is checked against its key; the
// database is written last, synced, and renamed into place. The caller
// holds the folder's lock so no parkd serves it meanwhile.
func Restore(ctx context.Context, in, dataDir string, force bool) (Manifest, error) {
	var m Manifest
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return m, err
	}
	if !force {
		if err := empty(dataDir); err != nil {
			return m, err
		}
	}
	f, err := os.Open(in)
	if err != nil {
		return m, err
	}
	defer f.Close()
	pictures, err := blob.NewFS(filepath.Join(dataDir, "pictures"))
	if err != nil {
		return m, err
	}
	tr := tar.NewReader(f)
	var haveDB bool
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return m, fmt.Errorf("restore: %w", err)
		}
		if err := ctx.Err(); err != nil {
			return m, err
		}
		switch {
		case h.Name == "MANIFEST":
			if err := json.NewDecoder(tr).Decode(&m); err != nil || m.Format != Format {
				return m, fmt.Errorf("restore: %s is not a parkd backup (%v)", in, err)
			}
		case h.Name == "parkd.db":
			if err := restoreDB(tr, dataDir); err != nil {
				return m, err
			}
			haveDB = true
		case h.Name == "instance-id":
			b, err := io.ReadAll(io.LimitReader(tr, 128))
			if err != nil {
				return m, err
			}
			if err := os.WriteFile(filepath.Join(dataDir, "instance-id"), b, 0o640); err != nil {
				return m, err
			}
		case len(h.Name) > len("pictures/") && h.Name[:len("pictures/")] == "pictures/":
			b, err := io.ReadAll(tr)
			if err != nil {
				return m, err
			}
			if want, got := filepath.Base(h.Name), blob.Key(b); got != want {
				return m, fmt.Errorf("restore: picture %s holds other bytes (%s)", want, got)
			}
			if _, err := pictures.Put(ctx, b); err != nil {
				return m, err
			}
		default:
			return m, fmt.Errorf("restore: unexpected entry %q", h.Name)
		}
	}
	if m.Format == "" || !haveDB {
		return m, fmt.Errorf("restore: %s lacks its manifest or database", in)
	}
	return m, nil
}

// empty fails with ErrNotEmpty when dir holds anything.
func empty(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Name() == "parkd.lock" {
			continue // the caller's own lock
		}
		return fmt.Errorf("%w: %s holds %s (use --force to restore over it)", ErrNotEmpty, dir, e.Name())
	}
	return nil
}

// restoreDB writes the database copy to dataDir/parkd.db, replacing any
// database (and its WAL) there.
func restoreDB(r io.Reader, dataDir string) error {
	dst := filepath.Join(dataDir, "parkd.db")
	tmp := dst + ".restore"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Remove(dst + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	if err := os.Rename(tmp, dst); err != nil {
		return err
	}
	d, err := os.Open(dataDir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
