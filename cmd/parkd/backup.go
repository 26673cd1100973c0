package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/parkd/parkd/internal/backup"
	"github.com/parkd/parkd/internal/server"
)

// backupCmd writes a consistent copy of a SQLite data folder, taken while
// parkd serves it: the database and the pictures it cites (internal/backup).
func backupCmd(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	data := fs.String("data", "data", "data folder of the SQLite store")
	out := fs.String("out", "", "the backup file to write (a tar)")
	pictures := fs.String("pictures", "", "picture folder (default DATA/pictures)")
	noPictures := fs.Bool("no-pictures", false, "leave the pictures' bytes out; the manifest lists their keys (for pictures kept in S3)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("backup needs --out FILE")
	}
	if strings.HasPrefix(*pictures, "s3://") {
		*noPictures = true
	}
	m, err := backup.Backup(ctx, backup.Options{DataDir: *data, Pictures: *pictures, NoPictures: *noPictures}, *out)
	if err != nil {
		return err
	}
	in := 0
	for _, p := range m.Pictures {
		if p.InArchive {
			in++
		}
	}
	fmt.Fprintf(stdout, "backup %s: database as of %s, %d pictures cited, %d in the archive\n",
		*out, m.TakenAt.Format("2006-01-02T15:04:05.000Z"), len(m.Pictures), in)
	return nil
}

// restoreCmd unpacks a backup into a data folder, which must be empty
// unless --force, and which no parkd may be serving.
func restoreCmd(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	in := fs.String("in", "", "the backup file")
	data := fs.String("data", "", "the data folder to restore into")
	force := fs.Bool("force", false, "restore into a folder that is not empty (its database is replaced)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *in == "" || *data == "" {
		return fmt.Errorf("restore needs --in FILE and --data DIR")
	}
	if err := os.MkdirAll(*data, 0o750); err != nil {
		return err
	}
	lock, err := server.LockDataDir(*data)
	if err != nil {
		return err
	}
	defer lock.Close()
	m, err := backup.Restore(ctx, *in, *data, *force)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored %s into %s: database as of %s, %d pictures\n", *in, *data,
		m.TakenAt.Format("2006-01-02T15:04:05.000Z"), len(m.Pictures))
	return nil
}
