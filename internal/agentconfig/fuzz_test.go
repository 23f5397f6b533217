package agentconfig

import "testing"

// FuzzParse: no input makes Parse panic, every error is a located *SyntaxError, and every
// entry it returns has the fields the check relies on and a coherent judgement.
func FuzzParse(f *testing.F) {
	for _, s := range []string{authLogConfig, labConfig, journalConfig, `{}`, `{"logs":{"logs_collected":{"files":{"collect_list":[{"file_path":"/var/log/*"}]}}}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := Parse(data)
		if err != nil {
			se, ok := err.(*SyntaxError)
			if !ok {
				t.Fatalf("error %v (%T) is not a *SyntaxError", err, err)
			}
			if se.Path == "" && (se.Line < 1 || se.Column < 1) {
				t.Fatalf("error %v has no location", err)
			}
			return
		}
		for i, fl := range got.Files {
			if fl.FilePath == "" || fl.LogGroupName == "" || fl.LogStreamName == "" {
				t.Fatalf("entry %d = %+v: empty field after defaults", i, fl)
			}
			_ = MatchPath(fl.FilePath, Secure) // must not panic on any pattern
			_ = FileFiltersCarrySSH(fl.Filters)
		}
		for i, e := range got.Journal {
			if e.LogGroupName == "" || e.LogStreamName == "" {
				t.Fatalf("journal entry %d = %+v: empty field after defaults", i, e)
			}
			for _, unit := range KnownSSHUnits {
				if c := JournalCarriesSSH(e, unit); c.Ships && (c.Unknown || c.Reason != "") || !c.Ships && c.Reason == "" {
					t.Fatalf("journal entry %d, unit %s: incoherent %+v", i, unit, c)
				}
			}
		}
	})
}
