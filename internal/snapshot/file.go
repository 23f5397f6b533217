package snapshot

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
)

// MaxSize bounds how much of a snapshot file is read: a real organisation's snapshot is a few
// megabytes; anything past this is a wrong file, not a bigger account.
const MaxSize = 512 << 20

// Load reads and validates a snapshot file. Every error names the file and, where it can, the
// line and column or the JSON path at fault.
func Load(path string) (*Snapshot, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	defer f.Close()
	s, err := Decode(f)
	if err != nil {
		return nil, fmt.Errorf("snapshot %s: %w", path, err)
	}
	return s, nil
}

// Decode reads and validates a snapshot document. A file (any io.ReadSeeker) is decoded one
// account at a time, so that its text and the decoded snapshot are not both held whole
// (decodeStream); any other reader, or a document the streaming decoder does not take, is
// read whole first and decoded from its text, which is also what words every error.
func Decode(r io.Reader) (*Snapshot, error) {
	if rs, ok := r.(io.ReadSeeker); ok {
		return decodeSeeker(rs, MaxSize)
	}
	return decode(r, MaxSize)
}

// decodeSeeker decodes streaming, and when that does not give a valid snapshot, decodes the
// same bytes again the buffered way, for its exact answer (the error, with line and column).
func decodeSeeker(rs io.ReadSeeker, limit int64) (*Snapshot, error) {
	start, err := rs.Seek(0, io.SeekCurrent)
	if err != nil {
		return decode(rs, limit) // not seekable after all (a pipe behind an *os.File)
	}
	if s := decodeStream(rs, limit); s != nil {
		return s, nil
	}
	if _, err := rs.Seek(start, io.SeekStart); err != nil {
		return nil, fmt.Errorf("reading: %w", err)
	}
	return decode(rs, limit)
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// decodeStream decodes a snapshot whose first key is schema_version (as lookout writes it)
// one account at a time: the decoder holds one account's text at once, not the document's.
// It returns nil for anything else than a valid snapshot of this version (a syntax or type
// error, an unknown or repeated key, trailing data, more than limit bytes, a snapshot that
// does not validate): decode then reads the document again and says what is wrong, as it
// always has. What it returns is what decode would.
func decodeStream(r io.Reader, limit int64) *Snapshot {
	cr := &countingReader{r: io.LimitReader(r, limit+1)}
	dec := json.NewDecoder(cr)
	dec.DisallowUnknownFields()
	delim := func(want json.Delim) bool {
		tok, err := dec.Token()
		return err == nil && tok == want
	}
	key := func() (string, bool) {
		tok, err := dec.Token()
		k, ok := tok.(string)
		return k, err == nil && ok
	}
	if !delim('{') {
		return nil
	}
	if k, ok := key(); !ok || k != "schema_version" {
		return nil
	}
	var version json.RawMessage
	if err := dec.Decode(&version); err != nil || string(version) != fmt.Sprint(SchemaVersion) {
		return nil
	}
	// Every key but accounts is small: gathered, then decoded as one object, strictly.
	rest := map[string]json.RawMessage{"schema_version": version}
	var accounts []Account
	seenAccounts := false
	for dec.More() {
		k, ok := key()
		if !ok {
			return nil
		}
		if _, dup := rest[k]; dup || strings.EqualFold(k, "schema_version") {
			return nil
		}
		if k != "accounts" {
			if strings.EqualFold(k, "accounts") {
				return nil // encoding/json matches keys without case: leave that to it
			}
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return nil
			}
			rest[k] = raw
			continue
		}
		if seenAccounts {
			return nil
		}
		seenAccounts = true
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		if tok == nil {
			continue // null
		}
		if tok != json.Delim('[') {
			return nil
		}
		accounts = []Account{}
		for dec.More() {
			var a Account
			if err := dec.Decode(&a); err != nil {
				return nil
			}
			accounts = append(accounts, a)
		}
		if !delim(']') {
			return nil
		}
	}
	if !delim('}') {
		return nil
	}
	if _, err := dec.Token(); err != io.EOF || cr.n > limit {
		return nil // trailing data, or more than limit
	}
	head, err := json.Marshal(rest)
	if err != nil {
		return nil
	}
	hd := json.NewDecoder(bytes.NewReader(head))
	hd.DisallowUnknownFields()
	var s Snapshot
	if err := hd.Decode(&s); err != nil {
		return nil
	}
	s.Accounts = accounts
	if s.Validate() != nil || (len(s.Accounts) == 0 && s.Shard == "") {
		return nil
	}
	return &s
}

// decode reads at most limit bytes: an oversized input is refused without being read whole.
func decode(r io.Reader, limit int64) (*Snapshot, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading: %w", err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("larger than %d MiB: not a lookout snapshot", limit>>20)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("empty file: not a lookout snapshot")
	}
	// Read the version first so that a newer document gets "newer version", not a confusing
	// complaint about a field this build has never heard of.
	var head struct {
		SchemaVersion *int `json:"schema_version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, jsonError(data, err)
	}
	switch {
	case head.SchemaVersion == nil:
		return nil, errors.New("no schema_version: not a lookout snapshot (write one with `lookout collect --output FILE`)")
	case *head.SchemaVersion > SchemaVersion:
		return nil, fmt.Errorf("schema_version %d is newer than this lookout understands (%d): upgrade lookout", *head.SchemaVersion, SchemaVersion)
	case *head.SchemaVersion != SchemaVersion:
		return nil, fmt.Errorf("schema_version %d is not supported (this lookout reads version %d)", *head.SchemaVersion, SchemaVersion)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var s Snapshot
	if err := dec.Decode(&s); err != nil {
		return nil, jsonError(data, err)
	}
	if dec.More() {
		return nil, errors.New("trailing data after the snapshot document")
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if len(s.Accounts) == 0 && s.Shard == "" {
		// A scan of nothing must not read as "every check passed".
		return nil, errors.New("accounts: the snapshot holds no account, so there is nothing to scan")
	}
	return &s, nil
}

// Write writes s as indented JSON, stable for the same content.
func Write(w io.Writer, s *Snapshot) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		return err
	}
	return bw.Flush()
}

var (
	accountIDRe = regexp.MustCompile(`^[0-9]{12}$`)
	regionRe    = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
)

// Validate checks the invariants the checks rely on, naming the path of the first violation.
func (s *Snapshot) Validate() error {
	seen := map[string]bool{}
	for i, a := range s.Accounts {
		p := fmt.Sprintf("accounts[%d]", i)
		if !accountIDRe.MatchString(a.ID) {
			return fmt.Errorf("%s.id: %q is not a 12-digit account id", p, a.ID)
		}
		if seen[a.ID] {
			return fmt.Errorf("%s.id: account %s appears twice", p, a.ID)
		}
		seen[a.ID] = true
		regions := map[string]bool{}
		for j, r := range a.Regions {
			rp := fmt.Sprintf("%s.regions[%d].name", p, j)
			if !regionRe.MatchString(r.Name) {
				return fmt.Errorf("%s: %q is not a region name", rp, r.Name)
			}
			if regions[r.Name] {
				return fmt.Errorf("%s: region %s appears twice in account %s", rp, r.Name, a.ID)
			}
			regions[r.Name] = true
		}
		for j, t := range a.Trails {
			if t.ARN == "" || t.HomeRegion == "" {
				return fmt.Errorf("%s.trails[%d]: a trail needs arn and home_region", p, j)
			}
		}
	}
	for i, r := range s.Regions {
		if !regionRe.MatchString(r) {
			return fmt.Errorf("regions[%d]: %q is not a region name", i, r)
		}
	}
	return nil
}

// jsonError turns encoding/json errors into ones that say where, by line and column.
func jsonError(data []byte, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		line, col := position(data, syn.Offset-1)
		switch msg := syn.Error(); {
		case strings.Contains(msg, "unexpected end of JSON input"):
			return fmt.Errorf("truncated: the JSON document ends early (line %d, column %d)", line, col)
		case strings.Contains(msg, "after top-level value"):
			return fmt.Errorf("line %d, column %d: trailing data after the snapshot document", line, col)
		}
		return fmt.Errorf("line %d, column %d: invalid JSON: %v", line, col, syn)
	case errors.As(err, &typ):
		line, col := position(data, typ.Offset)
		return fmt.Errorf("line %d, column %d: %s: expected %s, found a JSON %s", line, col, orRoot(typ.Field), jsonKind(typ.Type), typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("truncated: the JSON document ends early")
	}
	return fmt.Errorf("invalid snapshot: %w", err)
}

// orRoot names the document itself when a type error has no field path.
func orRoot(path string) string {
	if path == "" {
		return "the document"
	}
	return path
}

// jsonKind names what JSON a Go type is read from, so errors speak of the document ("a JSON
// number"), not of lookout's Go types.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "a JSON boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a JSON integer"
	case reflect.Float32, reflect.Float64:
		return "a JSON number"
	case reflect.String:
		return "a JSON string"
	case reflect.Slice, reflect.Array:
		return "a JSON array"
	case reflect.Map, reflect.Struct:
		return "a JSON object"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return "another JSON value"
}

func position(data []byte, offset int64) (line, col int) {
	if offset < 0 {
		offset = 0
	}
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	line = 1 + bytes.Count(data[:offset], []byte("\n"))
	col = int(offset) - bytes.LastIndexByte(data[:offset], '\n')
	return line, col
}

// Region returns the named region of an account, or nil.
func (a *Account) Region(name string) *Region {
	for i := range a.Regions {
		if a.Regions[i].Name == name {
			return &a.Regions[i]
		}
	}
	return nil
}

// Trail returns the trail with the given ARN, or nil.
func (a *Account) Trail(arn string) *Trail {
	for i := range a.Trails {
		if a.Trails[i].ARN == arn {
			return &a.Trails[i]
		}
	}
	return nil
}

// Sort puts accounts, regions and trails in a stable order so that two snapshots of the same
// state are byte-identical apart from collected_at.
func (s *Snapshot) Sort() {
	sort.Slice(s.Accounts, func(i, j int) bool { return s.Accounts[i].ID < s.Accounts[j].ID })
	for i := range s.Accounts {
		a := &s.Accounts[i]
		sort.Slice(a.Regions, func(i, j int) bool { return a.Regions[i].Name < a.Regions[j].Name })
		sort.Slice(a.Trails, func(i, j int) bool { return a.Trails[i].ARN < a.Trails[j].ARN })
	}
	sort.Strings(s.Regions)
}
