package s3post

import (
	"encoding/xml"
	"net/http"
	"strconv"
)

// Error is an S3 error, written as S3's XML error document.
type Error struct {
	Status  int
	Code    string
	Message string
	// Extra holds additional elements S3 includes for some codes, such as
	// ProposedSize and MaxSizeAllowed for EntityTooLarge.
	Extra [][2]string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func errorf(status int, code, msg string, extra ...[2]string) *Error {
	return &Error{Status: status, Code: code, Message: msg, Extra: extra}
}

// Write sends e as S3 does: an XML document with Code, Message, the extra
// elements, RequestId and HostId.
func (e *Error) Write(w http.ResponseWriter, requestID string) {
	type elem struct {
		XMLName xml.Name
		Value   string `xml:",chardata"`
	}
	doc := struct {
		XMLName   xml.Name `xml:"Error"`
		Code      string   `xml:"Code"`
		Message   string   `xml:"Message"`
		Extra     []elem
		RequestID string `xml:"RequestId"`
		HostID    string `xml:"HostId"`
	}{Code: e.Code, Message: e.Message, RequestID: requestID, HostID: "kycemu"}
	for _, x := range e.Extra {
		doc.Extra = append(doc.Extra, elem{XMLName: xml.Name{Local: x[0]}, Value: x[1]})
	}
	b, _ := xml.Marshal(doc)
	body := append([]byte(xml.Header), b...)
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Header().Set("x-amz-request-id", requestID)
	w.WriteHeader(e.Status)
	_, _ = w.Write(body)
}
