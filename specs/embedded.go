package specs

// Embedded reports whether doc is, byte for byte, one of the embedded
// documents. Those are validated by the tests of the package that loads
// them, so a loader may skip validating them again at every start. For
// the bytes Read returned it costs next to nothing: they are the very
// bytes compared against.
func Embedded(doc []byte) bool {
	_, ok := NameOf(doc)
	return ok
}

// NameOf returns the name Read knows doc by (a provider's, or Control)
// when doc is, byte for byte, one of the embedded documents.
func NameOf(doc []byte) (string, bool) {
	for name, s := range docs {
		if len(s) == len(doc) && string(doc) == s {
			return name, true
		}
	}
	return "", false
}
