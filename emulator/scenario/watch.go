package scenario

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// ReadDir reads every *.yaml and *.yml file under dir (subdirectories
// included), in path order. Messages name files by their path as given.
func ReadDir(dir string) ([]File, error) {
	var files []File
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !isYAML(p) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.Size() > MaxFileSize {
			files = append(files, File{Name: p, Data: make([]byte, MaxFileSize+1)})
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files = append(files, File{Name: p, Data: b})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read scenario directory: %w", err)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	return files, nil
}

// LoadDir loads every scenario file under dir as one set and, when all of
// them are valid, makes them the file layer (replacing what an earlier
// load put there). On failure the layer is left as it was and the error
// lists every problem (Errors) or says why the directory could not be read.
func (e *Engine) LoadDir(dir string) error {
	files, err := ReadDir(dir)
	if err == nil {
		err = e.loadFiles(dir, files)
	}
	if err != nil {
		e.mu.Lock()
		e.reload.Dir, e.reload.At = dir, e.clock.Now()
		e.reload.Problems = problems(err)
		e.mu.Unlock()
	}
	return err
}

func (e *Engine) loadFiles(dir string, files []File) error {
	scs, err := LoadFiles(files, e.Catalog())
	if err != nil {
		return err
	}
	e.replace(OriginFile, scs)
	e.mu.Lock()
	e.reload = ReloadStatus{Dir: dir, At: e.clock.Now(), Files: len(files), Scenarios: len(scs)}
	e.mu.Unlock()
	return nil
}

func problems(err error) []string {
	if es, ok := err.(Errors); ok {
		out := make([]string, len(es))
		for i, e := range es {
			out[i] = e.Error()
		}
		return out
	}
	return []string{err.Error()}
}

// fingerprint hashes the names and contents of the files.
func fingerprint(files []File) [32]byte {
	h := sha256.New()
	for _, f := range files {
		fmt.Fprintf(h, "%s\x00%d\x00", f.Name, len(f.Data))
		h.Write(f.Data)
	}
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}

// Watch polls dir every interval (real time: files change in the real
// world, whatever the emulator's clock says) and reloads the file layer
// when any file is added, removed or changed. A reload with problems keeps
// the scenarios in force and logs every problem; Reload reports them. The
// returned function stops the polling and waits for it to end.
func (e *Engine) Watch(dir string, interval time.Duration) (stop func()) {
	last, _ := ReadDir(dir)
	sum := fingerprint(last)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			files, err := ReadDir(dir)
			if err != nil {
				e.log.Error("scenario reload failed", "dir", dir, "error", err)
				continue
			}
			s := fingerprint(files)
			if s == sum {
				continue
			}
			sum = s
			if err := e.loadFiles(dir, files); err != nil {
				e.mu.Lock()
				e.reload.Dir, e.reload.At = dir, e.clock.Now()
				e.reload.Problems = problems(err)
				e.mu.Unlock()
				for _, p := range problems(err) {
					e.log.Error("scenario reload rejected; the previous scenarios stay in force", "problem", p)
				}
				continue
			}
			e.log.Info("scenarios reloaded", "dir", dir, "files", len(files))
		}
	}()
	return func() {
		select {
		case <-done:
		default:
			close(done)
		}
		<-finished
	}
}
