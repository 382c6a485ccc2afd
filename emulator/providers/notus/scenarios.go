package notus

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/kycemu/kycemu/emulator/internal/s3post"
	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/state"
)

// optionContentType is the scenario option that puts a Content-Type field,
// and a condition on it, into the upload forms (image/ for photos).
const optionContentType = "contentTypeField"

// CheckOptions accepts the one option Notus scenarios take.
func (p *Provider) CheckOptions(_ string, opts map[string]any) error {
	for k, v := range opts {
		if k != optionContentType {
			return fmt.Errorf("unknown option %q; notus takes only %s", k, optionContentType)
		}
		if _, ok := v.(bool); !ok {
			return fmt.Errorf("option %s must be true or false", optionContentType)
		}
	}
	return nil
}

// DefaultPlan is the plan of sessions no scenario drives (for scenarios
// without a timeline, and the catalogue).
func (p *Provider) DefaultPlan(string) *provider.Plan { return defaultPlan() }

// UploadFaultKinds lists the upload faults the bucket honours.
func (p *Provider) UploadFaultKinds() []string {
	return []string{provider.UploadPolicyExpired, provider.UploadTooLarge, provider.UploadSlow}
}

// uploadFault asks the plan of the session an upload belongs to whether a
// scripted fault hits it. It returns the S3 error to answer with (nil to
// store the upload) after waiting out the fault's latency, outside any
// lock, cut short when the client goes away. The second result describes
// the fault for the journal.
func (p *Provider) uploadFault(ctx context.Context, key string, size int) (*s3post.Error, string) {
	id, name, ok := sessionKey(key)
	if !ok {
		return nil, ""
	}
	var faults provider.UploadFaults
	_ = p.onSession(id, false, func(_ *state.Tx, r *state.Record) error {
		faults = r.Plan.Uploads
		return nil
	})
	if faults == nil {
		return nil, ""
	}
	f := faults.Upload(name)
	if f == nil {
		return nil, ""
	}
	if f.Latency > 0 {
		t := time.NewTimer(f.Latency)
		select {
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
	}
	note := "upload " + f.Kind
	switch f.Kind {
	case provider.UploadPolicyExpired:
		return &s3post.Error{Status: http.StatusForbidden, Code: "AccessDenied", Message: "Invalid according to Policy: Policy expired."}, note
	case provider.UploadTooLarge:
		return &s3post.Error{Status: http.StatusBadRequest, Code: "EntityTooLarge", Message: "Your proposed upload exceeds the maximum allowed size",
			Extra: [][2]string{{"ProposedSize", strconv.Itoa(max(size, maxUpload+1))}, {"MaxSizeAllowed", strconv.Itoa(maxUpload)}}}, note
	}
	return nil, note
}
