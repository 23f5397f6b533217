package main

import (
	"bufio"
	"bytes"
	"cmp"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
)

// regenerateCommand is the command the catalogue's header tells a reader to run.
const regenerateCommand = "go generate ./internal/apicatalog (go run ./internal/apicatalog/gen -botocore DIR -o internal/apicatalog/catalog.tsv.gz)"

// row is one line of the catalogue.
type row struct {
	source, name string
	readOnly     bool
}

// model is the part of a botocore service model (service-2.json) the catalogue needs.
type model struct {
	Metadata struct {
		EndpointPrefix string `json:"endpointPrefix"`
		SigningName    string `json:"signingName"`
	} `json:"metadata"`
	Operations map[string]json.RawMessage `json:"operations"`
}

// Generate writes the catalogue of the botocore data directory fsys to w as uncompressed TSV:
// header lines starting with "#", the first naming version (the botocore version, omitted when
// ""), then one line per operation, "eventSource\teventName\tr" (CloudTrail records it
// read-only) or "...\tw", sorted by event source and name, each pair once.
//
// fsys holds one directory per service, each holding one directory per API version (named by
// date, YYYY-MM-DD, so that the newest sorts last), each holding service-2.json or
// service-2.json.gz. Generate reads the newest version of every service; a service directory
// without any model is skipped, as are files at the top level (endpoints.json, _retry.json).
//
// Generate returns the number of operations written.
func Generate(fsys fs.FS, w io.Writer, version string) (int, error) {
	rows, err := catalogue(fsys)
	if err != nil {
		return 0, err
	}
	return len(rows), writeTSV(w, rows, version)
}

// catalogue reads every service's newest model in fsys and returns its operations, sorted and
// without duplicates.
func catalogue(fsys fs.FS) ([]row, error) {
	services, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("read botocore data directory: %w", err)
	}
	var rows []row
	for _, svc := range services {
		if !svc.IsDir() {
			continue
		}
		file, err := newestModel(fsys, svc.Name())
		if err != nil {
			return nil, err
		}
		if file == "" {
			continue
		}
		m, err := readModel(fsys, file)
		if err != nil {
			return nil, err
		}
		prefix := m.Metadata.EndpointPrefix
		if prefix == "" {
			return nil, fmt.Errorf("%s: metadata.endpointPrefix is missing", file)
		}
		for op := range m.Operations {
			if op == "" {
				return nil, fmt.Errorf("%s: an operation has an empty name", file)
			}
			source := eventSource(prefix, m.Metadata.SigningName, op)
			name := eventName(prefix, op)
			rows = append(rows, row{source: source, name: name, readOnly: readOnly(source, name)})
		}
	}
	if len(rows) == 0 {
		return nil, errors.New("botocore data directory: no service models found")
	}
	slices.SortFunc(rows, func(a, b row) int {
		return cmp.Or(strings.Compare(a.source, b.source), strings.Compare(a.name, b.name))
	})
	// Duplicates are the same event in several models (ses and sesv2 both have
	// CreateConfigurationSet under ses.amazonaws.com); readOnly depends on the pair alone, so
	// the duplicates are identical rows.
	return slices.CompactFunc(rows, func(a, b row) bool {
		return a.source == b.source && a.name == b.name
	}), nil
}

// newestModel returns the path of the model in service's newest API-version directory that
// has one, or "" when none has. botocore's loader looks for service-2.json before
// service-2.json.gz, and so does newestModel.
func newestModel(fsys fs.FS, service string) (string, error) {
	versions, err := fs.ReadDir(fsys, service)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", service, err)
	}
	// ReadDir sorts by name, and API versions are dates: the newest is last.
	for _, v := range slices.Backward(versions) {
		if !v.IsDir() {
			continue
		}
		for _, name := range []string{"service-2.json", "service-2.json.gz"} {
			file := path.Join(service, v.Name(), name)
			info, err := fs.Stat(fsys, file)
			if err == nil && !info.IsDir() {
				return file, nil
			}
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return "", fmt.Errorf("stat %s: %w", file, err)
			}
		}
	}
	return "", nil
}

// readModel reads and decodes a plain or gzip-compressed service model.
func readModel(fsys fs.FS, file string) (*model, error) {
	data, err := fs.ReadFile(fsys, file)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	if strings.HasSuffix(file, ".gz") {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("gunzip %s: %w", file, err)
		}
		if data, err = io.ReadAll(zr); err != nil {
			return nil, fmt.Errorf("gunzip %s: %w", file, err)
		}
	}
	var m model
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("decode %s: %w", file, err)
	}
	return &m, nil
}

// writeTSV writes rows in the catalogue's format (see Generate).
func writeTSV(w io.Writer, rows []row, version string) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "# Code generated by go run ./internal/apicatalog/gen; DO NOT EDIT.")
	if version != "" {
		fmt.Fprintf(bw, "# botocore-version: %s\n", version)
	}
	fmt.Fprintf(bw, "# regenerate: %s\n", regenerateCommand)
	fmt.Fprintln(bw, "# columns: eventSource, eventName, r when CloudTrail records the call readOnly else w")
	for _, r := range rows {
		if strings.ContainsAny(r.source+r.name, "\t\n") {
			return fmt.Errorf("%s %s: tab or newline in event source or name", r.source, r.name)
		}
		ro := "w"
		if r.readOnly {
			ro = "r"
		}
		fmt.Fprintf(bw, "%s\t%s\t%s\n", r.source, r.name, ro)
	}
	return bw.Flush()
}

var versionRE = regexp.MustCompile(`(?m)^__version__\s*=\s*['"]([^'"]+)['"]`)

// botocoreVersion returns the __version__ that botocore's __init__.py assigns, or "".
func botocoreVersion(initPy []byte) string {
	m := versionRE.FindSubmatch(initPy)
	if m == nil {
		return ""
	}
	return string(m[1])
}
