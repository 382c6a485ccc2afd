package drift

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Recorder keeps exchanges as JSON files in a directory, one per exchange,
// named <seq>-<operation>.json. It is bounded: at most MaxFiles files (those
// already in the directory count) and, per file, bodies of at most
// MaxBodyBytes each (a bigger body is described, not kept). Once full it
// records nothing more and counts what it dropped.
type Recorder struct {
	dir      string
	maxFiles int
	maxBody  int

	mu      sync.Mutex
	files   int
	next    int
	dropped int
}

// Recorder defaults.
const (
	DefaultMaxFiles     = 10000
	DefaultMaxBodyBytes = 256 << 10
)

var fileRE = regexp.MustCompile(`^(\d+)-.*\.json$`)

// NewRecorder records into dir, creating it if needed. maxFiles and
// maxBody of 0 take the defaults.
func NewRecorder(dir string, maxFiles, maxBody int) (*Recorder, error) {
	if maxFiles <= 0 {
		maxFiles = DefaultMaxFiles
	}
	if maxBody <= 0 {
		maxBody = DefaultMaxBodyBytes
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create record directory: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read record directory: %w", err)
	}
	r := &Recorder{dir: dir, maxFiles: maxFiles, maxBody: maxBody, next: 1}
	for _, e := range entries {
		if m := fileRE.FindStringSubmatch(e.Name()); m != nil {
			r.files++
			if n, _ := strconv.Atoi(m[1]); n >= r.next {
				r.next = n + 1
			}
		}
	}
	return r, nil
}

// seq hands out the next sequence number; exchanges are numbered in the
// order they arrive, whenever they finish.
func (r *Recorder) seq() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.next
	r.next++
	return n
}

// Write stores one exchange. It reports false when the recorder is full.
func (r *Recorder) Write(x *Exchange) (bool, error) {
	r.mu.Lock()
	if r.files >= r.maxFiles {
		r.dropped++
		r.mu.Unlock()
		return false, nil
	}
	r.files++
	r.mu.Unlock()
	b, err := json.MarshalIndent(x, "", "  ")
	if err != nil {
		return false, fmt.Errorf("encode exchange: %w", err)
	}
	label := x.Operation
	if label == "" {
		label = x.Kind
	}
	name := fmt.Sprintf("%06d-%s.json", x.Seq, safeName.ReplaceAllString(label, "_"))
	if err := os.WriteFile(filepath.Join(r.dir, name), append(b, '\n'), 0o644); err != nil {
		return false, fmt.Errorf("write exchange: %w", err)
	}
	return true, nil
}

var safeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// Dropped counts the exchanges not recorded because the recorder was full.
func (r *Recorder) Dropped() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.dropped
}

// ReadDir reads every recorded exchange of dir, in sequence order.
func ReadDir(dir string) ([]*Exchange, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read recordings: %w", err)
	}
	var out []*Exchange
	var errs []error
	for _, e := range entries {
		if e.IsDir() || !fileRE.MatchString(e.Name()) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			errs = append(errs, fmt.Errorf("read %s: %w", e.Name(), err))
			continue
		}
		var x Exchange
		if err := json.Unmarshal(b, &x); err != nil {
			errs = append(errs, fmt.Errorf("%s: not a recorded exchange: %w", e.Name(), err))
			continue
		}
		out = append(out, &x)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	if len(errs) > 0 {
		return out, errors.Join(errs...)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("read recordings: no exchange files (NNNNNN-*.json) in %s", strings.TrimSuffix(dir, "/"))
	}
	return out, nil
}
