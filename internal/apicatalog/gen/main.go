// Command gen generates internal/apicatalog's catalog.tsv.gz from botocore's service models:
//
//	go run ./internal/apicatalog/gen -botocore DIR -o internal/apicatalog/catalog.tsv.gz
//
// DIR is botocore's data directory (…/site-packages/botocore/data, or Debian python3-botocore's
// /usr/lib/python3/dist-packages/botocore/data). Without -botocore, gen uses $BOTOCORE_DATA,
// else the botocore package that python3 imports, else Debian's directory. The botocore
// version comes from DIR/../__init__.py. The output is deterministic: the same models give the
// same bytes. See package apicatalog for what the catalogue holds and the rules in rules.go.
package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// debianBotocore is where Debian's python3-botocore package installs the data directory.
const debianBotocore = "/usr/lib/python3/dist-packages/botocore/data"

func main() {
	dir := flag.String("botocore", "", "botocore data `directory` (default: $BOTOCORE_DATA, python3's botocore, "+debianBotocore+")")
	out := flag.String("o", "", "output `file`, e.g. internal/apicatalog/catalog.tsv.gz (required)")
	flag.Parse()
	if err := run(*dir, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(dir, out string) error {
	if out == "" {
		return errors.New("-o is required")
	}
	if flag.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", flag.Args())
	}
	if dir == "" {
		if dir = findBotocore(); dir == "" {
			return errors.New("no botocore data directory found: pass -botocore DIR or set BOTOCORE_DATA")
		}
	}
	if info, err := os.Stat(dir); err != nil {
		return fmt.Errorf("botocore data directory: %w", err)
	} else if !info.IsDir() {
		return fmt.Errorf("botocore data directory %s is not a directory", dir)
	}
	version := versionOf(dir)
	gz, n, err := compress(os.DirFS(dir), version)
	if err != nil {
		return fmt.Errorf("%s: %w", dir, err)
	}
	if err := writeFileAtomic(out, gz); err != nil {
		return err
	}
	if version == "" {
		version = "unknown version"
	}
	fmt.Fprintf(os.Stderr, "gen: wrote %d operations from botocore %s (%s) to %s (%d bytes)\n", n, version, dir, out, len(gz))
	return nil
}

// compress returns the catalogue of fsys gzip-compressed and its number of operations. The
// gzip header carries no name and no modification time, so that regenerating from the same
// models gives the same bytes.
func compress(fsys fs.FS, version string) ([]byte, int, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, 0, err
	}
	n, err := Generate(fsys, zw, version)
	if err != nil {
		return nil, 0, err
	}
	if err := zw.Close(); err != nil {
		return nil, 0, err
	}
	return buf.Bytes(), n, nil
}

// versionOf returns the botocore version of the data directory dir, read from the package's
// __init__.py beside it, or "" when that file is missing or names none.
func versionOf(dir string) string {
	initPy, err := os.ReadFile(filepath.Join(dir, "..", "__init__.py"))
	if err != nil {
		return ""
	}
	return botocoreVersion(initPy)
}

// findBotocore returns the botocore data directory to use when none is named: $BOTOCORE_DATA
// if set, else the data directory of the botocore package that python3 imports, else Debian's
// python3-botocore directory, else "".
func findBotocore() string {
	if dir := os.Getenv("BOTOCORE_DATA"); dir != "" {
		return dir
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "python3", "-c",
		"import os, botocore; print(os.path.join(os.path.dirname(botocore.__file__), 'data'))")
	if outb, err := cmd.Output(); err == nil {
		if dir := strings.TrimSpace(string(outb)); isDir(dir) {
			return dir
		}
	}
	if isDir(debianBotocore) {
		return debianBotocore
	}
	return ""
}

func isDir(dir string) bool {
	info, err := os.Stat(dir)
	return err == nil && info.IsDir()
}

// writeFileAtomic writes data to a temporary file beside name and renames it into place, so
// that an interrupted run leaves the old catalogue intact.
func writeFileAtomic(name string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(name), filepath.Base(name)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, name)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}
