package s3post

import (
	"bytes"
	"crypto/md5"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// maxPreData is how much form data S3 accepts before the file field.
const maxPreData = 20 << 10

// Object is a stored file.
type Object struct {
	Bucket      string
	Key         string
	ContentType string
	Data        []byte
	ETag        string // quoted MD5, as S3 sends it
	Uploaded    time.Time
}

// Upload is a POST that passed every check.
type Upload struct {
	Object Object
	// status and redirect come from success_action_status and
	// success_action_redirect.
	status   int
	redirect string
}

// Receive reads a browser POST upload to bucket and checks it as S3 would.
// now is the emulator's time; the limit caps what is read of the request
// whatever the policy says.
func (s *Signer) Receive(r *http.Request, bucket string, now time.Time, limit int64) (*Upload, *Error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return nil, errorf(http.StatusPreconditionFailed, "PreconditionFailed",
			"Bucket POST must be of the enclosure-type multipart/form-data",
			[2]string{"Condition", "Bucket POST must be of the enclosure-type multipart/form-data"})
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, malformed()
	}
	fields := map[string]string{} // lower-cased name -> value
	var pre int
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, malformed()
		}
		name := strings.ToLower(part.FormName())
		if name == "" {
			continue
		}
		if name == "file" {
			return s.receiveFile(part, fields, bucket, now, limit)
		}
		v, err := io.ReadAll(io.LimitReader(part, maxPreData+1))
		if err != nil {
			return nil, malformed()
		}
		pre += len(name) + len(v)
		if pre > maxPreData {
			return nil, errorf(http.StatusBadRequest, "MaxPostPreDataLengthExceeded",
				"Your POST request fields preceding the upload file were too large.")
		}
		if _, dup := fields[name]; dup {
			return nil, errorf(http.StatusBadRequest, "InvalidArgument",
				"POST requires exactly one value for each form field.", [2]string{"ArgumentName", part.FormName()})
		}
		fields[name] = string(v)
	}
	if _, ok := fields["key"]; !ok {
		return nil, missingKey()
	}
	return nil, errorf(http.StatusBadRequest, "InvalidArgument", "POST requires exactly one file upload per request.",
		[2]string{"ArgumentName", "file"})
}

func malformed() *Error {
	return errorf(http.StatusBadRequest, "MalformedPOSTRequest",
		"The body of your POST request is not well-formed multipart/form-data.")
}

func missingKey() *Error {
	return errorf(http.StatusBadRequest, "InvalidArgument",
		"Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.",
		[2]string{"ArgumentName", "key"})
}

type policyDoc struct {
	Expiration string            `json:"expiration"`
	Conditions []json.RawMessage `json:"conditions"`
}

// receiveFile runs every check that needs only the fields, then reads the
// file within the policy's size range.
func (s *Signer) receiveFile(file io.Reader, fields map[string]string, bucket string, now time.Time, limit int64) (*Upload, *Error) {
	if _, ok := fields["key"]; !ok {
		return nil, missingKey()
	}
	policy, ok := fields["policy"]
	if !ok {
		return nil, errorf(http.StatusForbidden, "AccessDenied", "Access Denied")
	}
	for _, f := range []string{"x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature"} {
		if _, ok := fields[f]; !ok {
			return nil, errorf(http.StatusBadRequest, "InvalidArgument",
				fmt.Sprintf("Bucket POST must contain a field named '%s'.  If it is specified, please check the order of the fields.", f),
				[2]string{"ArgumentName", f})
		}
	}
	if fields["x-amz-algorithm"] != Algorithm {
		return nil, errorf(http.StatusBadRequest, "InvalidArgument", "Unsupported signing algorithm; only AWS4-HMAC-SHA256 is accepted.",
			[2]string{"ArgumentName", "x-amz-algorithm"})
	}
	a, perr := s.credentialOf(fields["x-amz-credential"], "AuthorizationQueryParametersError", "Error parsing the X-Amz-Credential parameter; ")
	if perr != nil {
		return nil, perr
	}
	want := s.sign(a.day, s.Region, policy)
	if subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(fields["x-amz-signature"]))) != 1 {
		return nil, signatureMismatch(a.AccessKeyID, policy, fields["x-amz-signature"], "")
	}
	raw, err := base64.StdEncoding.DecodeString(policy)
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "InvalidPolicyDocument", "Invalid Policy: Invalid Simple-Policy.")
	}
	var doc policyDoc
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, errorf(http.StatusBadRequest, "InvalidPolicyDocument", "Invalid Policy: Invalid JSON.")
	}
	exp, err := time.Parse(time.RFC3339Nano, doc.Expiration)
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "InvalidPolicyDocument", "Invalid Policy: Invalid 'expiration' value: '"+doc.Expiration+"'")
	}
	if !now.Before(exp) {
		return nil, errorf(http.StatusForbidden, "AccessDenied", "Invalid according to Policy: Policy expired.")
	}
	minSize, maxSize := int64(0), limit
	covered := map[string]bool{}
	for _, c := range doc.Conditions {
		cond, perr := parseCondition(c)
		if perr != nil {
			return nil, perr
		}
		if cond.op == "content-length-range" {
			minSize, maxSize = cond.min, min(cond.max, limit)
			continue
		}
		covered[cond.field] = true
		value := fields[cond.field]
		if cond.field == "bucket" {
			value = bucket
		}
		if !cond.holds(value) {
			return nil, errorf(http.StatusForbidden, "AccessDenied", "Invalid according to Policy: Policy Condition failed: "+string(c))
		}
	}
	var extra []string
	for name := range fields {
		if name == "policy" || name == "x-amz-signature" || strings.HasPrefix(name, "x-ignore-") || covered[name] {
			continue
		}
		extra = append(extra, name)
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		return nil, errorf(http.StatusForbidden, "AccessDenied", "Invalid according to Policy: Extra input fields: "+strings.Join(extra, ", "))
	}
	data, err := io.ReadAll(io.LimitReader(file, maxSize+1))
	if err != nil {
		return nil, malformed()
	}
	size := int64(len(data))
	if size > maxSize {
		return nil, errorf(http.StatusBadRequest, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size",
			[2]string{"ProposedSize", strconv.FormatInt(size, 10) + "+"}, [2]string{"MaxSizeAllowed", strconv.FormatInt(maxSize, 10)})
	}
	if size < minSize {
		return nil, errorf(http.StatusBadRequest, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size",
			[2]string{"ProposedSize", strconv.FormatInt(size, 10)}, [2]string{"MinSizeAllowed", strconv.FormatInt(minSize, 10)})
	}
	up := &Upload{Object: NewObject(bucket, fields["key"], fields["content-type"], data, now)}
	up.status = http.StatusNoContent
	if v, err := strconv.Atoi(fields["success_action_status"]); err == nil && (v == 200 || v == 201) {
		up.status = v
	}
	up.redirect = fields["success_action_redirect"]
	if up.redirect == "" {
		up.redirect = fields["redirect"]
	}
	return up, nil
}

type condition struct {
	op       string // eq, starts-with, content-length-range
	field    string // lower-cased, without $
	value    string
	min, max int64
}

func (c condition) holds(v string) bool {
	switch c.op {
	case "eq":
		return v == c.value
	case "starts-with":
		if c.field == "content-type" {
			for _, t := range strings.Split(v, ",") {
				if !strings.HasPrefix(strings.TrimSpace(t), c.value) {
					return false
				}
			}
			return true
		}
		return strings.HasPrefix(v, c.value)
	}
	return false
}

func badCondition(raw json.RawMessage) *Error {
	return errorf(http.StatusBadRequest, "InvalidPolicyDocument", "Invalid Policy: Invalid Condition: "+string(raw))
}

func parseCondition(raw json.RawMessage) (condition, *Error) {
	var obj map[string]string
	if err := json.Unmarshal(raw, &obj); err == nil {
		if len(obj) != 1 {
			return condition{}, badCondition(raw)
		}
		for k, v := range obj {
			return condition{op: "eq", field: strings.ToLower(strings.TrimPrefix(k, "$")), value: v}, nil
		}
	}
	var arr []any
	if err := json.Unmarshal(raw, &arr); err != nil || len(arr) != 3 {
		return condition{}, badCondition(raw)
	}
	op, _ := arr[0].(string)
	switch strings.ToLower(op) {
	case "eq", "starts-with":
		f, ok1 := arr[1].(string)
		v, ok2 := arr[2].(string)
		if !ok1 || !ok2 || !strings.HasPrefix(f, "$") {
			return condition{}, badCondition(raw)
		}
		return condition{op: strings.ToLower(op), field: strings.ToLower(f[1:]), value: v}, nil
	case "content-length-range":
		lo, ok1 := arr[1].(float64)
		hi, ok2 := arr[2].(float64)
		if !ok1 || !ok2 || lo < 0 || hi < lo {
			return condition{}, badCondition(raw)
		}
		return condition{op: "content-length-range", min: int64(lo), max: int64(hi)}, nil
	}
	return condition{}, badCondition(raw)
}

// Respond answers a successful upload as S3 does: 204 by default, 200 or
// 201 (with a PostResponse document) when success_action_status asks, or a
// 303 to success_action_redirect. location is the object's URL.
func (u *Upload) Respond(w http.ResponseWriter, requestID, location string) {
	h := w.Header()
	h.Set("ETag", u.Object.ETag)
	h.Set("Location", location)
	h.Set("x-amz-request-id", requestID)
	if u.redirect != "" {
		if ru, err := url.Parse(u.redirect); err == nil && ru.IsAbs() {
			q := ru.Query()
			q.Set("bucket", u.Object.Bucket)
			q.Set("key", u.Object.Key)
			q.Set("etag", u.Object.ETag)
			ru.RawQuery = q.Encode()
			h.Set("Location", ru.String())
			w.WriteHeader(http.StatusSeeOther)
			return
		}
	}
	if u.status != http.StatusCreated {
		w.WriteHeader(u.status)
		return
	}
	doc := struct {
		XMLName  xml.Name `xml:"PostResponse"`
		Location string   `xml:"Location"`
		Bucket   string   `xml:"Bucket"`
		Key      string   `xml:"Key"`
		ETag     string   `xml:"ETag"`
	}{Location: location, Bucket: u.Object.Bucket, Key: u.Object.Key, ETag: u.Object.ETag}
	b, _ := xml.Marshal(doc)
	body := append([]byte(xml.Header), b...)
	h.Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusCreated)
	_, _ = io.Copy(w, bytes.NewReader(body))
}

// NewObject is an object as S3 stores it: the content type defaults to
// binary/octet-stream and the ETag is the quoted MD5 of the data.
func NewObject(bucket, key, contentType string, data []byte, now time.Time) Object {
	if contentType == "" {
		contentType = "binary/octet-stream"
	}
	sum := md5.Sum(data)
	return Object{Bucket: bucket, Key: key, ContentType: contentType, Data: data,
		ETag: `"` + hex.EncodeToString(sum[:]) + `"`, Uploaded: now}
}
