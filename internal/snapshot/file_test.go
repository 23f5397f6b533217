package snapshot

import (
	"bytes"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestDecodeRejectsBadInput(t *testing.T) {
	cases := []struct{ name, doc, want string }{
		{"empty", "", "empty file"},
		{"not JSON", "hello", "line 1, column 1: invalid JSON"},
		{"truncated", `{"schema_version": 1, "accounts": [`, "truncated"},
		{"no version", `{"accounts": []}`, "no schema_version"},
		{"newer version", `{"schema_version": 2}`, "newer than this lookout understands"},
		{"older version", `{"schema_version": 0}`, "not supported"},
		{"unknown field", `{"schema_version": 1, "acounts": []}`, `unknown field "acounts"`},
		{"wrong type with position", "{\"schema_version\": 1,\n \"accounts\": [{\"id\": 12}]}", "line 2"},
		{"bad account id", `{"schema_version": 1, "accounts": [{"id": "12", "regions": []}]}`, "accounts[0].id"},
		{"duplicate account", `{"schema_version": 1, "accounts": [{"id": "111111111111", "regions": []}, {"id": "111111111111", "regions": []}]}`, "appears twice"},
		{"bad region", `{"schema_version": 1, "accounts": [{"id": "111111111111", "regions": [{"name": "moon-1"}]}]}`, `"moon-1" is not a region name`},
		{"trailing data", `{"schema_version": 1} {}`, "trailing data"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(strings.NewReader(tc.doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// endless is an input that never ends, like /dev/zero passed as a snapshot.
type endless struct{ read int64 }

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	e.read += int64(len(p))
	return len(p), nil
}

func TestOversizedInputIsRefusedWithoutReadingItAll(t *testing.T) {
	in := &endless{}
	_, err := decode(in, 4<<20)
	if err == nil || !strings.Contains(err.Error(), "larger than 4 MiB") {
		t.Fatalf("err = %v, want a size refusal", err)
	}
	if in.read > 5<<20 {
		t.Errorf("read %d bytes of an endless input before refusing it", in.read)
	}
}

func TestDemoFixtureRoundTrips(t *testing.T) {
	s, err := Load("../../fixtures/demo-org.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Accounts) < 3 {
		t.Fatalf("demo has %d accounts, want a small organisation", len(s.Accounts))
	}
	var buf bytes.Buffer
	if err := Write(&buf, s); err != nil {
		t.Fatal(err)
	}
	again, err := Decode(&buf)
	if err != nil {
		t.Fatalf("re-reading written snapshot: %v", err)
	}
	var buf2 bytes.Buffer
	_ = Write(&buf2, again)
	var buf1 bytes.Buffer
	_ = Write(&buf1, s)
	if !bytes.Equal(buf1.Bytes(), buf2.Bytes()) {
		t.Error("snapshot does not survive a write/read round trip unchanged")
	}
}

func TestLoadNamesTheFile(t *testing.T) {
	_, err := Load("does-not-exist.json")
	if err == nil || !strings.Contains(err.Error(), "does-not-exist.json") {
		t.Errorf("err = %v", err)
	}
	f := t.TempDir() + "/bad.json"
	_ = os.WriteFile(f, []byte(`{"schema_version": 9}`), 0o600)
	_, err = Load(f)
	if err == nil || !strings.Contains(err.Error(), "bad.json") || !strings.Contains(err.Error(), "schema_version 9") {
		t.Errorf("err = %v", err)
	}
}

// FuzzDecode: no input may panic the snapshot reader, and what it accepts must validate.
func FuzzDecode(f *testing.F) {
	if demo, err := os.ReadFile("../../fixtures/demo-org.json"); err == nil {
		f.Add(demo)
	}
	f.Add([]byte(`{"schema_version": 1, "accounts": []}`))
	f.Add([]byte(`{"schema_version": 1, "accounts": [{"id": "111111111111", "regions": [{"name": "us-east-1", "cloudtrail": {"trail_arns": []}}]}]}`))
	f.Add([]byte(`{"schema_version": 2}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Decode(bytes.NewReader(data))
		sameAsBuffered(t, data, s, err)
		if err != nil {
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("Decode accepted a snapshot that does not validate: %v", err)
		}
	})
}

// sameAsBuffered fails unless s and err (Decode of a seekable reader, which streams) are
// what the buffered decoding of data gives.
func sameAsBuffered(t *testing.T, data []byte, s *Snapshot, err error) {
	t.Helper()
	want, wantErr := decode(struct{ io.Reader }{bytes.NewReader(data)}, MaxSize)
	switch {
	case (err == nil) != (wantErr == nil):
		t.Fatalf("streaming: %v, buffered: %v", err, wantErr)
	case err != nil && err.Error() != wantErr.Error():
		t.Fatalf("streaming error %q, buffered %q", err, wantErr)
	case !reflect.DeepEqual(s, want):
		t.Fatalf("streaming and buffered decoding differ")
	}
}

// TestDecodeStreamsAsItReadsWhole: a file is decoded one account at a time, with the result
// (snapshot or error, word for word) of reading it whole: the demo, and documents the
// streaming decoder leaves to the buffered one (keys out of order, repeated or in another
// case, null and empty lists, trailing data, errors inside an account).
func TestDecodeStreamsAsItReadsWhole(t *testing.T) {
	demo, err := os.ReadFile("../../fixtures/demo-org.json")
	if err != nil {
		t.Fatal(err)
	}
	if decodeStream(bytes.NewReader(demo), MaxSize) == nil {
		t.Fatal("the demo snapshot is not decoded streaming")
	}
	acct := `{"id": "111111111111", "regions": [{"name": "us-east-1"}]}`
	docs := []string{
		string(demo),
		`{"schema_version": 1, "accounts": [` + acct + `]}`,
		`{"schema_version": 1, "regions": ["us-east-1"], "accounts": [` + acct + `, {"id": "222222222222", "regions": []}], "shard": "1/2"}`,
		`{"accounts": [` + acct + `], "schema_version": 1}`,
		`{"schema_version": 1, "accounts": [` + acct + `], "Accounts": []}`,
		`{"schema_version": 1, "Accounts": [` + acct + `]}`,
		`{"schema_version": 1, "accounts": [` + acct + `], "tool": {"name": "a"}, "tool": {"name": "b"}}`,
		`{"schema_version": 1, "accounts": [], "accounts": [` + acct + `]}`,
		`{"schema_version": 1, "accounts": null, "shard": "1/2"}`,
		`{"schema_version": 1, "accounts": [], "shard": "1/2"}`,
		`{"schema_version": 1, "accounts": []}`,
		`{"schema_version": 1, "accounts": [` + acct + `]} {}`,
		`{"schema_version": 1, "accounts": [` + acct + `]}   ` + "\n",
		`{"schema_version": 1, "accounts": [{"id": "111111111111", "regions": [], "extra": 1}]}`,
		"{\"schema_version\": 1,\n \"accounts\": [{\"id\": 12}]}",
		`{"schema_version": 2, "accounts": [` + acct + `]}`,
		`{"schema_version": 1.0, "accounts": [` + acct + `]}`,
		`{"schema_version": 1, "accounts": [` + acct + `, ` + acct + `]}`,
		`{"schema_version": 1, "accounts": [` + acct,
		`  `,
	}
	for _, doc := range docs {
		s, err := Decode(strings.NewReader(doc))
		sameAsBuffered(t, []byte(doc), s, err)
	}
}
