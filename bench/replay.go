package bench

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lookout-audit/lookout/internal/faultproxy"
	"github.com/lookout-audit/lookout/internal/motoserver"
)

// Replay is a loopback AWS endpoint for benchmarks. It first records: it forwards every call
// to moto_server and keeps the answer under the call's signature (the account's role in the
// organisation, region, signing service, operation, path, query and a hash of the body). Then
// it replays: it answers every call from the recording, any number at once, holding each
// answer Hold after the call arrived, as AWS would with that round trip. Moto, which answers
// one call at a time, is then out of the figure: what is measured is lookout's critical path
// and its own CPU.
//
// Throttling. With SetThrottle, every (account, region, API operation) has a token bucket, as
// AWS throttles its control-plane APIs; a call finding its bucket empty is answered, after the
// same hold, with the service's own throttling error (faultproxy.WriteThrottle).
//
// Accounts. Every answer is kept with the id of the account it was read in replaced by a
// placeholder, under the role of that account: the caller's own (the management account) or
// a member. A replayed call of any member account is answered with the member's recording,
// the placeholder replaced by its id, so one recorded member stands for any number of them.
// sts:AssumeRole answers with the recorded member's credentials, whose key id names the
// account (ASIARPL + id), and organizations:ListAccounts, when Accounts is set, answers with
// those accounts in pages of 20, as AWS does.
type Replay struct {
	URL string
	// Hold is how long each replayed answer is held after its call arrived.
	Hold time.Duration
	// Accounts, if set, is the organisation ListAccounts answers with (management first).
	Accounts []string

	server   *httptest.Server
	upstream string
	client   *http.Client

	mu        sync.Mutex
	recording bool
	answers   map[string]*answer   // exact signature -> answer
	byOp      map[string][]*answer // signature without body -> every answer recorded for it
	keyOwner  map[string]string    // recorded access key id -> account (members)
	member    string               // the recorded member account, "" if none
	spans     []span
	throttle  *buckets // token buckets in force (SetThrottle), nil for none

	// Calls counts calls answered in replay; Misses those with no recorded answer; Conns
	// the connections clients opened; Throttled the calls refused by a token bucket of the
	// throttle in force (counted in Calls too).
	Calls     atomic.Int64
	Misses    atomic.Int64
	Conns     atomic.Int64
	Throttled atomic.Int64
	missed    sync.Map
}

type answer struct {
	status int
	header http.Header
	body   []byte // with the account id replaced by placeholder
	hash   string // of body, to tell answers apart
}

// span is one replayed call: when it arrived and when its answer was written (ns since the
// replay's epoch), and what it was ("service:Action region").
type span struct {
	start, end int64
	what       string
}

// placeholder stands for the account id in recorded bodies and signatures.
const placeholder = "\x00ACCOUNT\x00"

// management is the caller's own account in the recordings (moto's default).
const management = motoserver.DefaultAccount

// replayKeyPrefix starts the access key id of replayed member credentials: ASIARPL + the
// 12-digit account id + X.
const replayKeyPrefix = "ASIARPL"

var epoch = time.Now()

// NewReplay starts recording the answers of upstream (a moto_server URL).
func NewReplay(upstream string) *Replay {
	r := &Replay{
		upstream:  strings.TrimSuffix(upstream, "/"),
		client:    &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}},
		recording: true,
		answers:   map[string]*answer{},
		byOp:      map[string][]*answer{},
		keyOwner:  map[string]string{},
	}
	r.server = httptest.NewUnstartedServer(http.HandlerFunc(r.serve))
	r.server.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			r.Conns.Add(1)
		}
	}
	r.server.Start()
	r.URL = r.server.URL
	return r
}

// Close stops the server.
func (r *Replay) Close() {
	r.server.CloseClientConnections()
	r.server.Close()
}

// StartReplay stops recording: from now on every call is answered from the recording.
func (r *Replay) StartReplay(hold time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recording = false
	r.Hold = hold
	r.spans = nil
}

// Recorded is how many distinct calls were recorded.
func (r *Replay) Recorded() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.answers)
}

// Reset forgets the replayed calls' timeline and counts (the recording stays).
func (r *Replay) Reset() {
	r.mu.Lock()
	r.spans = nil
	r.mu.Unlock()
	r.Calls.Store(0)
	r.Misses.Store(0)
	r.Conns.Store(0)
	r.Throttled.Store(0)
}

// Missed lists the signatures of calls that had no recorded answer.
func (r *Replay) Missed() []string {
	var out []string
	r.missed.Range(func(k, _ any) bool { out = append(out, k.(string)); return true })
	sort.Strings(out)
	return out
}

// RoundTrips is the longest chain of replayed calls each of which arrived after the previous
// one's answer was written: the number of sequential round trips the scan's timeline holds.
func (r *Replay) RoundTrips() int {
	n, _ := r.CriticalPath()
	return n
}

// CriticalPath is RoundTrips with one longest chain, from the first call to the last: each
// call as "service:Action region", with when it arrived and how long after the previous
// call's answer (what lookout took between them).
func (r *Replay) CriticalPath() (int, []string) {
	r.mu.Lock()
	spans := append([]span(nil), r.spans...)
	r.mu.Unlock()
	return longestChain(spans)
}

func longestChain(spans []span) (int, []string) {
	n := len(spans)
	if n == 0 {
		return 0, nil
	}
	sort.Slice(spans, func(i, j int) bool {
		if spans[i].start != spans[j].start {
			return spans[i].start < spans[j].start
		}
		return spans[i].end < spans[j].end
	})
	byEnd := make([]int, n)
	for i := range byEnd {
		byEnd[i] = i
	}
	sort.Slice(byEnd, func(a, b int) bool { return spans[byEnd[a]].end < spans[byEnd[b]].end })
	depth := make([]int, n)
	prev := make([]int, n)
	best, bestAt, last, j := 0, -1, 0, 0
	for i := range spans {
		// Every call that ended before this one arrived started before it too, so its depth
		// is already known.
		for j < n && spans[byEnd[j]].end <= spans[i].start {
			if depth[byEnd[j]] > best {
				best, bestAt = depth[byEnd[j]], byEnd[j]
			}
			j++
		}
		depth[i], prev[i] = best+1, bestAt
		if depth[i] > depth[last] {
			last = i
		}
	}
	var chain []string
	for i := last; i >= 0; i = prev[i] {
		gap := ""
		if prev[i] >= 0 {
			gap = fmt.Sprintf(" (+%.1f ms after the previous answer)", float64(spans[i].start-spans[prev[i]].end)/1e6)
		}
		chain = append([]string{fmt.Sprintf("%8.1f ms  %s%s", float64(spans[i].start-spans[0].start)/1e6, spans[i].what, gap)}, chain...)
	}
	return depth[last], chain
}

var credential = regexp.MustCompile(`Credential=([^/]+)/[0-9]+/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request`)

// call is what a request says about itself.
type call struct {
	key, region, service, action string
	account                      string // whose credentials signed it
	body                         []byte
}

func (r *Replay) parse(req *http.Request) call {
	body, _ := io.ReadAll(req.Body)
	req.Body = io.NopCloser(bytes.NewReader(body))
	c := call{body: body}
	if m := credential.FindStringSubmatch(req.Header.Get("Authorization")); m != nil {
		c.key, c.region = m[1], m[2]
	}
	c.service, c.action = faultproxy.Operation(req)
	req.Body = io.NopCloser(bytes.NewReader(body))
	c.account = r.accountOf(c.key)
	return c
}

// accountOf names the account an access key acts in.
func (r *Replay) accountOf(key string) string {
	if strings.HasPrefix(key, replayKeyPrefix) && len(key) >= len(replayKeyPrefix)+12 {
		return key[len(replayKeyPrefix) : len(replayKeyPrefix)+12]
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if a, ok := r.keyOwner[key]; ok {
		return a
	}
	return management
}

// signature is the recording's key for a call of account in the given role.
func signature(c call, req *http.Request, account string, exact bool) string {
	role := "member"
	if account == management {
		role = "management"
	}
	s := role + "|" + c.region + "|" + c.service + "|" + c.action
	if !exact {
		return s
	}
	norm := func(s string) string { return strings.ReplaceAll(s, account, placeholder) }
	sum := sha256.Sum256(bytes.ReplaceAll(c.body, []byte(account), []byte(placeholder)))
	return s + "|" + req.Method + " " + norm(req.URL.EscapedPath()) + "?" + norm(req.URL.RawQuery) + "|" + hex.EncodeToString(sum[:8])
}

func (r *Replay) serve(w http.ResponseWriter, req *http.Request) {
	arrived := time.Now()
	c := r.parse(req)
	r.mu.Lock()
	recording := r.recording
	hold := r.Hold
	throttle := r.throttle
	r.mu.Unlock()
	if recording {
		r.record(w, req, c)
		return
	}
	r.Calls.Add(1)
	a, body := r.lookup(req, c)
	if a == nil {
		r.Misses.Add(1)
		r.missed.Store(signature(c, req, c.account, true), true)
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	// A throttled call is refused when it arrives, and its answer takes the round trip too.
	throttled := throttle != nil && !throttle.allow(c.account, c.region, c.service, c.action, arrived)
	if wait := hold - time.Since(arrived); wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-req.Context().Done():
			t.Stop()
			return
		}
	}
	if throttled {
		r.Throttled.Add(1)
		faultproxy.WriteThrottle(w, req, c.service)
		return
	}
	h := w.Header()
	for k, v := range a.header {
		h[k] = v
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	end := time.Now()
	w.WriteHeader(a.status)
	_, _ = w.Write(body)
	r.mu.Lock()
	r.spans = append(r.spans, span{int64(arrived.Sub(epoch)), int64(end.Sub(epoch)), c.service + ":" + c.action + " " + c.region})
	r.mu.Unlock()
}

// lookup finds the answer to a replayed call and its body for the calling account.
func (r *Replay) lookup(req *http.Request, c call) (*answer, []byte) {
	switch {
	case c.service == "organizations" && c.action == "ListAccounts" && len(r.Accounts) > 0:
		return r.listAccounts(c.body)
	case c.service == "sts" && c.action == "AssumeRole":
		// Answered with the recorded member's credentials, for the account in the role ARN.
		target := roleAccount(c.body)
		r.mu.Lock()
		a := r.answers["assume-role"]
		r.mu.Unlock()
		if a == nil || target == "" {
			return nil, nil
		}
		return a, bytes.ReplaceAll(a.body, []byte(placeholder), []byte(target))
	}
	r.mu.Lock()
	a := r.answers[signature(c, req, c.account, true)]
	if a == nil {
		// Calls whose input holds the time (DescribeAlarmHistory's StartDate) are answered by
		// the one answer recorded for their operation, when there is exactly one.
		if list := r.byOp[signature(c, req, c.account, false)]; distinct(list) {
			a = list[0]
		}
	}
	r.mu.Unlock()
	if a == nil {
		return nil, nil
	}
	return a, bytes.ReplaceAll(a.body, []byte(placeholder), []byte(c.account))
}

func distinct(list []*answer) bool {
	if len(list) == 0 {
		return false
	}
	for _, a := range list[1:] {
		if a.hash != list[0].hash {
			return false
		}
	}
	return true
}

var roleARN = regexp.MustCompile(`arn(?::|%3A)aws(?::|%3A)iam(?::|%3A)(?::|%3A)([0-9]{12})(?::|%3A)role`)

func roleAccount(body []byte) string {
	if m := roleARN.FindSubmatch(body); m != nil {
		return string(m[1])
	}
	return ""
}

// record forwards a call to moto and keeps the answer.
func (r *Replay) record(w http.ResponseWriter, req *http.Request, c call) {
	out, err := http.NewRequestWithContext(req.Context(), req.Method, r.upstream+req.URL.RequestURI(), bytes.NewReader(c.body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	out.Header = req.Header.Clone()
	resp, err := r.client.Do(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	header := http.Header{}
	for k, v := range resp.Header {
		switch k {
		case "Date", "Content-Length", "Server", "Connection", "Transfer-Encoding":
			continue
		}
		header[k] = v
	}
	for k, v := range header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(body)

	account := c.account
	if c.service == "sts" && c.action == "AssumeRole" && resp.StatusCode == http.StatusOK {
		r.recordAssumeRole(c, body, header)
		return
	}
	a := &answer{status: resp.StatusCode, header: header, body: bytes.ReplaceAll(body, []byte(account), []byte(placeholder))}
	sum := sha256.Sum256(a.body)
	a.hash = hex.EncodeToString(sum[:])
	r.mu.Lock()
	defer r.mu.Unlock()
	r.answers[signature(c, req, account, true)] = a
	op := signature(c, req, account, false)
	r.byOp[op] = append(r.byOp[op], a)
}

var accessKeyID = regexp.MustCompile(`<AccessKeyId>([^<]+)</AccessKeyId>`)

// recordAssumeRole learns which account the returned key acts in, and keeps the answer with
// that account as the placeholder and a key id that names it.
func (r *Replay) recordAssumeRole(c call, body []byte, header http.Header) {
	target := roleAccount(c.body)
	m := accessKeyID.FindSubmatch(body)
	if target == "" || m == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.keyOwner[string(m[1])] = target
	r.member = target
	kept := bytes.Replace(body, m[0], []byte("<AccessKeyId>"+replayKeyPrefix+placeholder+"X</AccessKeyId>"), 1)
	kept = bytes.ReplaceAll(kept, []byte(target), []byte(placeholder))
	r.answers["assume-role"] = &answer{status: http.StatusOK, header: header, body: kept}
}

// listAccounts answers organizations:ListAccounts with r.Accounts, 20 per page.
func (r *Replay) listAccounts(in []byte) (*answer, []byte) {
	var req struct{ NextToken string }
	_ = json.Unmarshal(in, &req)
	start, _ := strconv.Atoi(req.NextToken)
	end := min(start+20, len(r.Accounts))
	type account struct {
		Id, Arn, Email, Name, Status, State, JoinedMethod string
		JoinedTimestamp                                   float64
	}
	var page struct {
		Accounts  []account
		NextToken string `json:",omitempty"`
	}
	for _, id := range r.Accounts[start:end] {
		page.Accounts = append(page.Accounts, account{
			Id: id, Arn: "arn:aws:organizations::" + r.Accounts[0] + ":account/o-replay/" + id,
			Email: id + "@example.com", Name: "account-" + id, Status: "ACTIVE", State: "ACTIVE",
			JoinedMethod: "CREATED", JoinedTimestamp: 1.7e9,
		})
	}
	if end < len(r.Accounts) {
		page.NextToken = strconv.Itoa(end)
	}
	body, _ := json.Marshal(page)
	return &answer{status: http.StatusOK, header: http.Header{"Content-Type": {"application/x-amz-json-1.1"}}}, body
}

// MemberAccounts returns n account ids for an organisation replayed from the recording: the
// management account first, then n-1 synthetic member ids.
func MemberAccounts(n int) []string {
	ids := []string{management}
	for i := 1; i < n; i++ {
		ids = append(ids, fmt.Sprintf("%012d", 200000000000+i))
	}
	return ids
}
