package agentconfig

import (
	"path"
	"strings"
)

// MatchPath reports whether the agent's file_path pattern selects the file name. The agent
// uses standard Unix glob matching ('*', '?', '[...]' within one path element) plus '**',
// which matches any number of whole path elements, including none: "/var/log/**/secure"
// selects "/var/log/secure". A malformed pattern selects nothing, as in the agent.
func MatchPath(pattern, name string) bool {
	return matchElems(strings.Split(pattern, "/"), strings.Split(name, "/"))
}

func matchElems(pat, name []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			rest := pat[1:]
			for i := 0; i <= len(name); i++ {
				if matchElems(rest, name[i:]) {
					return true
				}
			}
			return false
		}
		if len(name) == 0 {
			return false
		}
		ok, err := path.Match(pat[0], name[0])
		if err != nil || !ok {
			return false
		}
		pat, name = pat[1:], name[1:]
	}
	return len(name) == 0
}
