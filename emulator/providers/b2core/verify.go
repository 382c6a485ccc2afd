package b2core

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/state"
)

type typesData struct {
	Types []DocumentType `json:"types"`
}

// wizardView is the verification wizard as the client sees it.
func (p *Provider) wizardView(r *state.Record, cfg *Config) wizard[*typesData] {
	if r.Status != InProgress {
		return wizard[*typesData]{Code: codeFinal, Done: true, UUID: r.ID, Workflow: workflowTerminate,
			Data: &typesData{Types: []DocumentType{}}}
	}
	pr := state.Data[procedure](r)
	types := []DocumentType{}
	for _, id := range pr.Steps[pr.Next].Types {
		if dt, ok := cfg.documentType(id); ok {
			types = append(types, dt)
		}
	}
	return wizard[*typesData]{Code: codeStep, UUID: r.ID, Workflow: workflowDocuments, Data: &typesData{Types: types}}
}

// verificationWizard starts a procedure for the client's next level or
// resumes the open one.
func (p *Provider) verificationWizard(c *provider.Call) error {
	cfg := p.config()
	var level Level
	resumed := false
	if err := p.state.View(c.Tenant, func(tx *state.Tx) error {
		_, a := clientOf(tx)
		if a == nil {
			return noClient()
		}
		if r := openProcedure(tx); r != nil {
			resumed = true
			return c.JSON(http.StatusOK, p.wizardView(r, cfg))
		}
		var ok bool
		if level, ok = cfg.next(a.Level.ID); !ok {
			return provider.Errorf(provider.KindConflict, "the client already has the highest verification level")
		}
		return nil
	}); err != nil || resumed {
		return err
	}
	plan, perr := p.env.Scenarios.Plan(Name, Kind, c.Tenant, c.Scenario, c.Body)
	if perr != nil {
		return perr
	}
	if plan == nil {
		plan = defaultPlan(cfg)
	}
	steps, serr := stepsFor(plan.Options, level, cfg)
	if serr != nil {
		return provider.Invalid("", "the scenario's options cannot be used: %s", serr)
	}
	return p.state.Update(c.Tenant, func(tx *state.Tx) error {
		if tx.Count(kindClient) == 0 {
			return noClient()
		}
		r := openProcedure(tx) // a concurrent call may have started one meanwhile
		if r == nil {
			var err error
			if r, err = p.start(tx, tenantOf(tx), level, steps, plan); err != nil {
				return err
			}
		}
		return c.JSON(http.StatusOK, p.wizardView(r, cfg))
	})
}

// PlanOptions is what a scenario's options may set for a verification
// procedure:
//
//	{"steps": [{"types": [2, 1]}, {"types": [4]}]}
//	{"levels": [{"name": "Level 1", "steps": [{"types": [2]}, {"types": [4]}]}]}
//
// steps replaces the wizard steps of whatever level the procedure is for;
// levels replaces them only for the level matched by id or name (and wins
// over steps). Type ids must be in the configured catalogue. Other keys are
// ignored.
type PlanOptions struct {
	Steps  []Step        `json:"steps"`
	Levels []LevelOption `json:"levels"`
}

// LevelOption is one entry of PlanOptions.Levels.
type LevelOption struct {
	ID    int    `json:"id"`
	Name  string `json:"name"`
	Steps []Step `json:"steps"`
}

func decodeOptions(opts map[string]any) (PlanOptions, error) {
	var po PlanOptions
	if len(opts) == 0 {
		return po, nil
	}
	b, err := json.Marshal(opts)
	if err != nil {
		return po, fmt.Errorf("options are not JSON-like")
	}
	if err := json.Unmarshal(b, &po); err != nil {
		return po, fmt.Errorf(`options must look like {"steps": [{"types": [<document type id>...]}...]} or {"levels": [{"name", "steps"}...]}`)
	}
	return po, nil
}

// stepsFor picks the wizard steps of a procedure for level.
func stepsFor(opts map[string]any, level Level, cfg *Config) ([]Step, error) {
	po, err := decodeOptions(opts)
	if err != nil {
		return nil, err
	}
	steps := level.Steps
	if len(po.Steps) > 0 {
		steps = po.Steps
	}
	for _, lo := range po.Levels {
		if (lo.ID != 0 && lo.ID == level.ID) || (lo.Name != "" && lo.Name == level.Name) {
			if len(lo.Steps) > 0 {
				steps = lo.Steps
			}
			break
		}
	}
	types := map[int]bool{}
	for _, t := range cfg.DocumentTypes {
		types[t.ID] = true
	}
	if err := checkSteps("options.steps", steps, types); err != nil {
		return nil, err
	}
	out := make([]Step, len(steps))
	for i, s := range steps {
		out[i] = Step{Types: slices.Clone(s.Types)}
	}
	return out, nil
}

// CheckOptions reports whether a scenario's options for a session kind can
// be used with the current configuration (for scenario loaders).
func (p *Provider) CheckOptions(kind string, opts map[string]any) error {
	if kind != Kind {
		return fmt.Errorf("b2core has no session kind %q", kind)
	}
	po, err := decodeOptions(opts)
	if err != nil {
		return err
	}
	cfg := p.config()
	types := map[int]bool{}
	for _, t := range cfg.DocumentTypes {
		types[t.ID] = true
	}
	if err := checkSteps("options.steps", po.Steps, types); err != nil {
		return err
	}
	for i, lo := range po.Levels {
		if err := checkSteps(fmt.Sprintf("options.levels[%d].steps", i), lo.Steps, types); err != nil {
			return err
		}
	}
	return nil
}

type documents struct {
	Type  int      `json:"type"`
	Files []string `json:"files"`
}

type runBody struct {
	Documents *documents `json:"documents"`
	UUID      string     `json:"uuid"`
}

// parseRun reads either {"data": {documents, uuid}} or {documents, uuid};
// prefix is the field path prefix for messages ("data." or "").
func parseRun(c *provider.Call) (runBody, string, error) {
	var in struct {
		Data *runBody `json:"data"`
		runBody
	}
	if err := c.Bind(&in); err != nil {
		return runBody{}, "", err
	}
	if in.Data != nil {
		return *in.Data, "data.", nil
	}
	if in.Documents == nil {
		return runBody{}, "", provider.Invalid("documents", `is required (send {"data": {"documents", "uuid"}} or {"documents", "uuid"})`)
	}
	if in.UUID == "" {
		return runBody{}, "", provider.Invalid("uuid", "is required: take it from GET /my/verifications/wizard")
	}
	return in.runBody, "", nil
}

// runProcedure submits one wizard step.
func (p *Provider) runProcedure(c *provider.Call) error {
	in, prefix, err := parseRun(c)
	if err != nil {
		return err
	}
	cfg := p.config()
	return p.state.Update(c.Tenant, func(tx *state.Tx) error {
		if tx.Count(kindClient) == 0 {
			return noClient()
		}
		r := tx.Get(Kind, in.UUID)
		if r == nil {
			return provider.Invalid(prefix+"uuid", "does not match a verification wizard of this client: initialize one with GET /my/verifications/wizard")
		}
		switch r.Status {
		case InProgress:
		case Expired:
			return conflict(prefix+"uuid", "this verification wizard expired: initialize a new one")
		default:
			return conflict(prefix+"uuid", "this verification wizard is already complete")
		}
		pr := state.Data[procedure](r)
		field := prefix + "documents.type"
		dt, ok := cfg.documentType(in.Documents.Type)
		switch {
		case !ok:
			return provider.Invalid(field, "is not a known document type")
		case !dt.Enabled:
			return provider.Invalid(field, "is a disabled document type")
		}
		switch pr.stepOf(dt.ID) {
		case -1:
			return conflict(field, "belongs to a step that was already submitted")
		case 1:
			return provider.Invalid(field, "belongs to a later step: submit the current step first")
		case 2:
			return provider.Invalid(field, "is not asked for by this verification level")
		}
		for i, f := range in.Documents.Files {
			if tx.Get(kindFile, f) == nil {
				return provider.Invalid(fmt.Sprintf("%sdocuments.files.%d", prefix, i), "was never uploaded: upload the file with POST /my/files first")
			}
		}
		pr.Next++
		r.Updated = tx.Now()
		if pr.Next == len(pr.Steps) {
			p.move(tx, r, Submitted, "client", "")
		}
		return c.JSON(http.StatusOK, p.wizardView(r, cfg))
	})
}

func conflict(field, msg string) *provider.Error {
	e := provider.Errorf(provider.KindConflict, "%s", msg)
	e.Field = field
	return e
}

type uploadedView struct {
	Path     string `json:"path"`
	Name     string `json:"name"`
	Size     int    `json:"size"`
	MimeType string `json:"mimeType"`
}

// upload stores the multipart part "file" and answers its path.
func (p *Provider) upload(c *provider.Call) error {
	_, params, err := mime.ParseMediaType(c.R.Header.Get("Content-Type"))
	if err != nil {
		return provider.Invalid("", "the body must be multipart/form-data")
	}
	mr := multipart.NewReader(bytes.NewReader(c.Body), params["boundary"])
	var name string
	var data []byte
	found := false
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return provider.Invalid("", "the multipart body could not be read")
		}
		if part.FormName() != "file" || found {
			continue
		}
		found = true
		name = part.FileName()
		if data, err = io.ReadAll(part); err != nil {
			return provider.Invalid("file", "could not be read")
		}
	}
	if !found {
		return provider.Invalid("file", "is required")
	}
	if len(data) == 0 {
		return provider.Invalid("file", "is empty")
	}
	mimeType := http.DetectContentType(data)
	if mt, _, err := mime.ParseMediaType(mimeType); err == nil {
		mimeType = mt
	}
	base := path.Base(strings.ReplaceAll(name, `\`, "/"))
	if base == "." || base == "/" {
		base = ""
	}

	ext := extension(base, mimeType)
	return p.state.Update(c.Tenant, func(tx *state.Tx) error {
		if tx.Count(kindClient) == 0 {
			return noClient()
		}
		f := &file{Name: base, Size: len(data), Mime: mimeType}
		r, err := newRecord(tx, state.NewRecord{Kind: kindFile, Data: f},
			func() string { return "documents/" + tx.Rand().UUID() + ext })
		if err != nil {
			return err
		}
		return c.JSON(http.StatusCreated, uploadedView{Path: r.ID, Name: f.Name, Size: f.Size, MimeType: f.Mime})
	})
}

// extension keeps a short alphanumeric extension of the uploaded name, or
// derives one from the sniffed type.
func extension(name, mimeType string) string {
	if ext := strings.ToLower(path.Ext(name)); len(ext) > 1 && len(ext) <= 6 && strings.Trim(ext[1:], "abcdefghijklmnopqrstuvwxyz0123456789") == "" {
		return ext
	}
	switch mimeType {
	case "image/jpeg":
		return ".jpeg"
	case "image/png":
		return ".png"
	case "application/pdf":
		return ".pdf"
	case "image/webp":
		return ".webp"
	case "image/gif":
		return ".gif"
	}
	return ".bin"
}

type recordView struct {
	ID            int       `json:"id"`
	ClientID      int       `json:"clientId"`
	CurrentLevel  LevelRef  `json:"currentLevel"`
	PreviousLevel *LevelRef `json:"previousLevel"`
	Reason        struct {
		Name string `json:"name"`
	} `json:"reason"`
	UserID     int    `json:"userId"`
	CreateTime string `json:"createTime"`
}

func (g grant) view() recordView {
	v := recordView{ID: g.ID, ClientID: g.ClientID, CurrentLevel: g.Current, PreviousLevel: g.Previous,
		UserID: g.UserID, CreateTime: stamp(g.Created)}
	v.Reason.Name = g.Reason
	return v
}

type listView struct {
	Total int          `json:"total"`
	Data  []recordView `json:"data"`
}

func (p *Provider) listVerifications(c *provider.Call) error {
	limit, offset := 10, 0
	if v := c.Query("limit"); v != "" {
		limit, _ = strconv.Atoi(v)
	}
	if v := c.Query("offset"); v != "" {
		offset, _ = strconv.Atoi(v)
	}
	desc := c.Query("sort_order") != "asc"

	var recs []grant
	if err := p.state.View(c.Tenant, func(tx *state.Tx) error {
		_, a := clientOf(tx)
		if a == nil {
			return noClient()
		}
		recs = slices.Clone(a.History)
		return nil
	}); err != nil {
		return err
	}
	slices.SortStableFunc(recs, func(a, b grant) int {
		n := a.Created.Compare(b.Created)
		if n == 0 {
			n = a.ID - b.ID
		}
		if desc {
			n = -n
		}
		return n
	})
	out := listView{Total: len(recs), Data: []recordView{}}
	for i := offset; i < len(recs) && i < offset+limit; i++ {
		out.Data = append(out.Data, recs[i].view())
	}
	return c.JSON(http.StatusOK, out)
}

func (p *Provider) getVerification(c *provider.Call) error {
	id, _ := strconv.Atoi(c.Params["verificationId"])
	return p.state.View(c.Tenant, func(tx *state.Tx) error {
		_, a := clientOf(tx)
		if a == nil {
			return noClient()
		}
		for _, g := range a.History {
			if g.ID == id {
				return c.JSON(http.StatusOK, listView{Total: 1, Data: []recordView{g.view()}})
			}
		}
		return provider.NotFound("verification not found")
	})
}
