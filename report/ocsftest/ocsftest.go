// Package ocsftest checks OCSF events in tests against the schema's own definitions: the
// ocsf/ocsf-schema repository's JSON files (a copy of release 1.6.0 lives in report/testdata, so
// tests never depend on anything outside the repo). Those files are not a JSON Schema: a class
// is the attributes of its `extends` chain, of the profiles it `$include`s and its own, each
// completed by the dictionary's entry of the same name (type, array-ness, enumeration, sibling);
// objects are resolved the same way. The checks are the ones the OCSF server's validator makes:
//
//   - every attribute is defined by the class or object that holds it, and its profile, if it
//     belongs to one, is applied (listed in metadata.profiles);
//   - no required attribute is missing, and an object's at_least_one / just_one constraints hold;
//   - every value has its dictionary type (string, integer, long, float, boolean, json, object,
//     arrays where is_array), with the type's regex, range and maximum length;
//   - an enumerated attribute holds one of its enumeration's ids, and its sibling (status_id's
//     status, say) holds that id's caption unless the id is 99 (Other);
//   - nothing deprecated is used (attribute or enumeration value);
//   - class_uid, category_uid, type_uid (class_uid*100 + activity_id), class_name, category_name
//     and metadata.version agree with the schema.
//
// It is imported by tests only.
package ocsftest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Dir is the repository's copy of the OCSF 1.6.0 schema.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata", "ocsf-1.6.0")
}

var (
	once    sync.Once
	loaded  *Schema
	loadErr error
)

// Load returns the repository's OCSF 1.6.0 schema, read once.
func Load() (*Schema, error) {
	once.Do(func() { loaded, loadErr = LoadFS(os.DirFS(Dir())) })
	return loaded, loadErr
}

// Schema is a loaded OCSF schema.
type Schema struct {
	Version          string
	dictionary       map[string]attr
	types            map[string]scalarType
	categories       map[string]int // name → uid
	categoryCaptions map[string]string
	objects          map[string]def
	classes          map[string]def
	profiles         map[string]def

	mu              sync.Mutex // guards resolvedObjects
	resolvedObjects map[string]*resolved
}

// def is one definition file: an event class, an object or a profile.
type def struct {
	file        string
	Name        string                     `json:"name"`
	Caption     string                     `json:"caption"`
	Extends     string                     `json:"extends"`
	Category    string                     `json:"category"`
	UID         *int                       `json:"uid"`
	Attributes  map[string]json.RawMessage `json:"attributes"`
	Constraints map[string][]string        `json:"constraints"`
}

// attr is one attribute as a definition or the dictionary gives it; unset fields are zero.
type attr struct {
	Caption     string              `json:"caption"`
	Type        string              `json:"type"`
	IsArray     *bool               `json:"is_array"`
	Requirement string              `json:"requirement"`
	Sibling     string              `json:"sibling"`
	Enum        map[string]enumItem `json:"enum"`
	Deprecated  *deprecation        `json:"@deprecated"`
	// Profile is nil when the definition does not say, points at "" for "profile": null (the
	// attribute is the class's own even though a profile also defines it) and at the profile's
	// name when only that profile brings the attribute.
	Profile *string `json:"-"`
}

type enumItem struct {
	Caption    string       `json:"caption"`
	Deprecated *deprecation `json:"@deprecated"`
}

type deprecation struct {
	Message string `json:"message"`
	Since   string `json:"since"`
}

// scalarType is a dictionary type (string_t, port_t, …) resolved to its base and constraints.
type scalarType struct {
	base   string // string_t, integer_t, long_t, float_t, boolean_t or json_t
	regex  *regexp.Regexp
	maxLen int
	rng    []float64
}

// resolved is a class or object with every attribute complete.
type resolved struct {
	name        string
	attrs       map[string]attr
	constraints map[string][]string
}

func (a *attr) UnmarshalJSON(b []byte) error {
	type plain attr
	if err := json.Unmarshal(b, (*plain)(a)); err != nil {
		return err
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	if p, ok := raw["profile"]; ok {
		var name *string
		if err := json.Unmarshal(p, &name); err != nil {
			return fmt.Errorf("profile: %w", err)
		}
		if name == nil {
			name = new(string)
		}
		a.Profile = name
	}
	return nil
}

// over returns a with every field o sets replacing a's, enumerations merged item by item (a
// subclass adds activity ids to its parent's).
func (a attr) over(o attr) attr {
	if o.Caption != "" {
		a.Caption = o.Caption
	}
	if o.Type != "" {
		a.Type = o.Type
	}
	if o.IsArray != nil {
		a.IsArray = o.IsArray
	}
	if o.Requirement != "" {
		a.Requirement = o.Requirement
	}
	if o.Sibling != "" {
		a.Sibling = o.Sibling
	}
	if o.Deprecated != nil {
		a.Deprecated = o.Deprecated
	}
	if o.Profile != nil {
		a.Profile = o.Profile
	}
	if o.Enum != nil {
		e := maps.Clone(a.Enum)
		if e == nil {
			e = map[string]enumItem{}
		}
		maps.Copy(e, o.Enum)
		a.Enum = e
	}
	return a
}

func (a attr) array() bool { return a.IsArray != nil && *a.IsArray }

func (a attr) profile() string {
	if a.Profile == nil {
		return ""
	}
	return *a.Profile
}

// LoadFS reads a schema laid out as the ocsf-schema repository is: version.json,
// dictionary.json, categories.json, events/**.json, objects/*.json and profiles/*.json.
func LoadFS(fsys fs.FS) (*Schema, error) {
	s := &Schema{objects: map[string]def{}, classes: map[string]def{}, profiles: map[string]def{}, categories: map[string]int{}, categoryCaptions: map[string]string{}, resolvedObjects: map[string]*resolved{}}
	var version struct {
		Version string `json:"version"`
	}
	if err := readJSON(fsys, "version.json", &version); err != nil {
		return nil, err
	}
	s.Version = version.Version
	var dict struct {
		Attributes map[string]attr `json:"attributes"`
		Types      struct {
			Attributes map[string]struct {
				Type   string    `json:"type"`
				Regex  string    `json:"regex"`
				MaxLen int       `json:"max_len"`
				Range  []float64 `json:"range"`
			} `json:"attributes"`
		} `json:"types"`
	}
	if err := readJSON(fsys, "dictionary.json", &dict); err != nil {
		return nil, err
	}
	s.dictionary = dict.Attributes
	s.types = map[string]scalarType{}
	for name, t := range dict.Types.Attributes {
		st := scalarType{base: name, maxLen: t.MaxLen, rng: t.Range}
		if t.Type != "" {
			st.base = t.Type
		}
		if t.Regex != "" {
			re, err := regexp.Compile(t.Regex)
			if err != nil {
				return nil, fmt.Errorf("dictionary.json: type %s: regex: %w", name, err)
			}
			st.regex = re
		}
		s.types[name] = st
	}
	var cats struct {
		Attributes map[string]struct {
			UID     int    `json:"uid"`
			Caption string `json:"caption"`
		} `json:"attributes"`
	}
	if err := readJSON(fsys, "categories.json", &cats); err != nil {
		return nil, err
	}
	for name, c := range cats.Attributes {
		s.categories[name] = c.UID
		s.categoryCaptions[name] = c.Caption
	}
	for dir, into := range map[string]map[string]def{"events": s.classes, "objects": s.objects, "profiles": s.profiles} {
		err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || path.Ext(p) != ".json" {
				return err
			}
			var df def
			if err := readJSON(fsys, p, &df); err != nil {
				return err
			}
			df.file = p
			if _, dup := into[df.Name]; dup {
				return fmt.Errorf("%s: %s defined twice", p, df.Name)
			}
			into[df.Name] = df
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return s, nil
}

func readJSON(fsys fs.FS, name string, v any) error {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// ownAttributes are d's attributes with the ones its $include files bring (each tagged with its
// profile, d's own definition of the same attribute winning), not yet completed by the
// dictionary or d's parent.
func (s *Schema) ownAttributes(d def) (map[string]attr, error) {
	out := map[string]attr{}
	if inc, ok := d.Attributes["$include"]; ok {
		var files []string
		if err := json.Unmarshal(inc, &files); err != nil {
			return nil, fmt.Errorf("%s: $include: %w", d.file, err)
		}
		for _, f := range files {
			name := strings.TrimSuffix(path.Base(f), ".json")
			p, ok := s.profiles[name]
			if !ok {
				return nil, fmt.Errorf("%s: $include %s: no such profile", d.file, f)
			}
			for k, raw := range p.Attributes {
				var a attr
				if err := json.Unmarshal(raw, &a); err != nil {
					return nil, fmt.Errorf("%s: %s: %w", p.file, k, err)
				}
				if a.Profile == nil {
					a.Profile = &p.Name
				}
				out[k] = a
			}
		}
	}
	for k, raw := range d.Attributes {
		if k == "$include" {
			continue
		}
		var a attr
		if err := json.Unmarshal(raw, &a); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", d.file, k, err)
		}
		if prev, ok := out[k]; ok {
			a = prev.over(a)
		}
		out[k] = a
	}
	return out, nil
}

// resolve completes d with its parent (looked up in within) and the dictionary.
func (s *Schema) resolve(d def, within map[string]def, seen []string) (*resolved, error) {
	if slices.Contains(seen, d.Name) {
		return nil, fmt.Errorf("%s: extends cycle %s", d.file, strings.Join(append(seen, d.Name), " → "))
	}
	r := &resolved{name: d.Name, attrs: map[string]attr{}, constraints: d.Constraints}
	if d.Extends != "" {
		p, ok := within[d.Extends]
		if !ok {
			return nil, fmt.Errorf("%s: extends %s: not defined", d.file, d.Extends)
		}
		parent, err := s.resolve(p, within, append(seen, d.Name))
		if err != nil {
			return nil, err
		}
		maps.Copy(r.attrs, parent.attrs)
		if r.constraints == nil {
			r.constraints = parent.constraints
		}
	}
	own, err := s.ownAttributes(d)
	if err != nil {
		return nil, err
	}
	for k, a := range own {
		base, ok := r.attrs[k]
		if !ok {
			base, ok = s.dictionary[k]
			if !ok {
				return nil, fmt.Errorf("%s: attribute %s is not in the dictionary", d.file, k)
			}
		}
		r.attrs[k] = base.over(a)
	}
	return r, nil
}

func (s *Schema) object(name string) (*resolved, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.resolvedObjects[name]; ok {
		return r, nil
	}
	d, ok := s.objects[name]
	if !ok {
		return nil, fmt.Errorf("object type %s is not defined", name)
	}
	r, err := s.resolve(d, s.objects, nil)
	if err != nil {
		return nil, err
	}
	s.resolvedObjects[name] = r
	return r, nil
}

// classUID is the class's class_uid: its category's uid × 1000 + its own uid.
func (s *Schema) classUID(d def) (int, string, error) {
	cat, cur := d.Category, d
	for cat == "" && cur.Extends != "" {
		cur = s.classes[cur.Extends]
		cat = cur.Category
	}
	uid := 0
	if d.UID != nil {
		uid = *d.UID
	}
	if cat == "other" || cat == "" {
		return uid, cat, nil
	}
	c, ok := s.categories[cat]
	if !ok {
		return 0, "", fmt.Errorf("%s: category %s is not defined", d.file, cat)
	}
	return c*1000 + uid, cat, nil
}

// Problems lists every way the JSON event in data breaks the schema; none is nil.
func (s *Schema) Problems(data []byte) []string {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var ev map[string]any
	if err := dec.Decode(&ev); err != nil {
		return []string{"not a JSON object: " + err.Error()}
	}
	v := &validation{s: s}
	v.event(ev)
	return v.problems
}

// ProblemsOfArray is Problems for each event of a JSON array, each problem prefixed with the
// event's index.
func (s *Schema) ProblemsOfArray(data []byte) []string {
	var events []json.RawMessage
	if err := json.Unmarshal(data, &events); err != nil {
		return []string{"not a JSON array: " + err.Error()}
	}
	var out []string
	for i, e := range events {
		for _, p := range s.Problems(e) {
			out = append(out, fmt.Sprintf("[%d]%s", i, p))
		}
	}
	return out
}

type validation struct {
	s        *Schema
	profiles []string
	problems []string
}

func (v *validation) addf(at, format string, args ...any) {
	v.problems = append(v.problems, at+": "+fmt.Sprintf(format, args...))
}

func (v *validation) event(ev map[string]any) {
	classUID, ok := intOf(ev["class_uid"])
	if !ok {
		v.addf("class_uid", "missing or not an integer")
		return
	}
	var class def
	var category string
	found := false
	for _, d := range v.s.classes {
		uid, cat, err := v.s.classUID(d)
		if err != nil {
			v.addf("class_uid", "%v", err)
			return
		}
		if uid == classUID {
			class, category, found = d, cat, true
			break
		}
	}
	if !found {
		v.addf("class_uid", "%d is no class of OCSF %s", classUID, v.s.Version)
		return
	}
	if md, ok := ev["metadata"].(map[string]any); ok {
		if ps, ok := md["profiles"].([]any); ok {
			for _, p := range ps {
				name, _ := p.(string)
				if _, ok := v.s.profiles[name]; !ok {
					v.addf("metadata.profiles", "%v is not a profile of OCSF %s", p, v.s.Version)
					continue
				}
				v.profiles = append(v.profiles, name)
			}
		}
		if md["version"] != v.s.Version {
			v.addf("metadata.version", "%v, but the schema is %s", md["version"], v.s.Version)
		}
	}
	r, err := v.s.resolve(class, v.s.classes, nil)
	if err != nil {
		v.addf(class.Name, "%v", err)
		return
	}
	if cat, ok := v.s.categories[category]; ok {
		if got, _ := intOf(ev["category_uid"]); got != cat {
			v.addf("category_uid", "%v, but class %d belongs to category %d", ev["category_uid"], classUID, cat)
		}
	}
	if act, ok := intOf(ev["activity_id"]); ok {
		if got, _ := intOf(ev["type_uid"]); got != classUID*100+act {
			v.addf("type_uid", "%v, want class_uid*100 + activity_id = %d", ev["type_uid"], classUID*100+act)
		}
	}
	if n, ok := ev["class_name"]; ok && n != class.Caption {
		v.addf("class_name", "%q, want %q", n, class.Caption)
	}
	if n, ok := ev["category_name"]; ok && n != v.s.categoryCaptions[category] {
		v.addf("category_name", "%q, want %q", n, v.s.categoryCaptions[category])
	}
	if act, ok := intOf(ev["activity_id"]); ok && act != 99 {
		if item, ok := r.attrs["activity_id"].Enum[strconv.Itoa(act)]; ok {
			if n, ok := ev["type_name"]; ok && n != class.Caption+": "+item.Caption {
				v.addf("type_name", "%q, want %q", n, class.Caption+": "+item.Caption)
			}
		}
	}
	// The schema server generates these from the class itself; the base event's enumerations
	// (0, Base Event) do not apply to its subclasses.
	for _, k := range []string{"class_uid", "category_uid", "type_uid"} {
		a := r.attrs[k]
		a.Enum = nil
		r.attrs[k] = a
	}
	v.object("", r, ev)
}

// object checks the JSON object m against the resolved definition r; at is m's path.
func (v *validation) object(at string, r *resolved, m map[string]any) {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		a, ok := r.attrs[k]
		p := join(at, k)
		if !ok {
			v.addf(p, "%s defines no attribute %s", r.name, k)
			continue
		}
		if prof := a.profile(); prof != "" && !slices.Contains(v.profiles, prof) {
			v.addf(p, "belongs to the %s profile, which metadata.profiles does not apply", prof)
			continue
		}
		if a.Deprecated != nil {
			v.addf(p, "deprecated since %s: %s", a.Deprecated.Since, stripTags(a.Deprecated.Message))
		}
		v.value(p, a, m[k], m)
	}
	for _, k := range slices.Sorted(maps.Keys(r.attrs)) {
		a := r.attrs[k]
		if a.Requirement != "required" {
			continue
		}
		if prof := a.profile(); prof != "" && !slices.Contains(v.profiles, prof) {
			continue
		}
		if _, ok := m[k]; !ok {
			v.addf(join(at, k), "required by %s, missing", r.name)
		}
	}
	for kind, names := range r.constraints {
		n := 0
		for _, name := range names {
			if _, ok := m[name]; ok {
				n++
			}
		}
		switch {
		case kind == "at_least_one" && n == 0:
			v.addf(orRoot(at), "%s needs at least one of %s", r.name, strings.Join(names, ", "))
		case kind == "just_one" && n != 1:
			v.addf(orRoot(at), "%s needs exactly one of %s, has %d", r.name, strings.Join(names, ", "), n)
		}
	}
}

// value checks one attribute's value; parent holds its sibling.
func (v *validation) value(at string, a attr, x any, parent map[string]any) {
	if x == nil {
		v.addf(at, "null (leave the attribute out instead)")
		return
	}
	if a.array() {
		items, ok := x.([]any)
		if !ok {
			v.addf(at, "an array of %s, got %s", a.Type, kindOf(x))
			return
		}
		for i, it := range items {
			v.single(fmt.Sprintf("%s[%d]", at, i), a, it, nil)
		}
		return
	}
	v.single(at, a, x, parent)
}

func (v *validation) single(at string, a attr, x any, parent map[string]any) {
	if x == nil {
		v.addf(at, "null")
		return
	}
	if t, ok := v.s.types[a.Type]; ok {
		v.scalar(at, a.Type, t, x)
	} else if a.Type == "object" {
		if _, ok := x.(map[string]any); !ok {
			v.addf(at, "an object, got %s", kindOf(x))
		}
	} else {
		m, ok := x.(map[string]any)
		if !ok {
			v.addf(at, "a %s object, got %s", a.Type, kindOf(x))
			return
		}
		r, err := v.s.object(a.Type)
		if err != nil {
			v.addf(at, "%v", err)
			return
		}
		v.object(at, r, m)
	}
	if a.Enum == nil {
		return
	}
	key := fmt.Sprint(x)
	item, ok := a.Enum[key]
	if !ok {
		v.addf(at, "%v is not one of %s", x, strings.Join(sortedKeys(a.Enum), ", "))
		return
	}
	if item.Deprecated != nil {
		v.addf(at, "%v (%s) is deprecated since %s: %s", x, item.Caption, item.Deprecated.Since, stripTags(item.Deprecated.Message))
	}
	if a.Sibling != "" && parent != nil && key != "99" {
		if sib, ok := parent[a.Sibling]; ok && sib != item.Caption {
			v.addf(at, "%v means %q, but %s is %q", x, item.Caption, a.Sibling, sib)
		}
	}
}

func (v *validation) scalar(at, name string, t scalarType, x any) {
	switch t.base {
	case "json_t":
		return
	case "string_t":
		s, ok := x.(string)
		if !ok {
			v.addf(at, "%s (a string), got %s", name, kindOf(x))
			return
		}
		if t.regex != nil && !t.regex.MatchString(s) {
			v.addf(at, "%q is not a valid %s", s, name)
		}
		if t.maxLen > 0 && len(s) > t.maxLen {
			v.addf(at, "%s longer than %d", name, t.maxLen)
		}
	case "integer_t", "long_t", "float_t":
		n, ok := x.(json.Number)
		if !ok {
			v.addf(at, "%s (a number), got %s", name, kindOf(x))
			return
		}
		f, err := n.Float64()
		if err != nil {
			v.addf(at, "%s: %v", name, err)
			return
		}
		if t.base != "float_t" {
			if _, err := strconv.ParseInt(n.String(), 10, 64); err != nil {
				v.addf(at, "%s (an integer), got %s", name, n)
				return
			}
			if t.base == "integer_t" && (f > 1<<31-1 || f < -(1<<31)) {
				v.addf(at, "%s (32-bit), got %s", name, n)
			}
		}
		if len(t.rng) == 2 && (f < t.rng[0] || f > t.rng[1]) {
			v.addf(at, "%s out of range %v", name, t.rng)
		}
	case "boolean_t":
		if _, ok := x.(bool); !ok {
			v.addf(at, "%s (a boolean), got %s", name, kindOf(x))
		}
	default:
		v.addf(at, "type %s has unknown base %s", name, t.base)
	}
}

func intOf(x any) (int, bool) {
	n, ok := x.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(n.String())
	return i, err == nil
}

func kindOf(x any) string {
	switch x.(type) {
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", x)
}

func join(at, k string) string {
	if at == "" {
		return k
	}
	return at + "." + k
}

func orRoot(at string) string {
	if at == "" {
		return "(event)"
	}
	return at
}

func sortedKeys(m map[string]enumItem) []string {
	keys := slices.Collect(maps.Keys(m))
	slices.SortFunc(keys, func(a, b string) int {
		x, _ := strconv.Atoi(a)
		y, _ := strconv.Atoi(b)
		return x - y
	})
	return keys
}

var tags = regexp.MustCompile(`<[^>]+>`)

func stripTags(s string) string { return tags.ReplaceAllString(s, "") }
