package snapshot

import (
	"bytes"
	"os"
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
		if err != nil {
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("Decode accepted a snapshot that does not validate: %v", err)
		}
	})
}
