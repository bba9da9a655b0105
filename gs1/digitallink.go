package gs1

import (
	"fmt"
	"net/url"
	"strings"
)

// ParseDigitalLink reads a GS1 Digital Link URI with a zero Parser; see
// Parser.ParseDigitalLink.
func ParseDigitalLink(uri string) (Data, error) { return Parser{}.ParseDigitalLink(uri) }

// ParseDigitalLink reads a GS1 Digital Link URI such as
//
//	https://id.gs1.org/01/09506000134352/10/ABC123?17=261231
//
// Any scheme-and-domain is accepted, with any path prefix before the
// primary key: the path is read from its end, as (AI, value) pairs, back to
// the primary key (01 GTIN, 00 SSCC, 414 GLN... every AI the dictionary marks
// dlpkey). The qualifiers after the key must follow the dictionary's order
// (for 01: 22, 10, 21, or 235 alone). Query parameters whose names are AIs
// are data attributes and must be AIs the dictionary allows there; other
// parameters (linkType, context...) are ignored. A GTIN-8, -12 or -13 in the
// path is padded to 14 digits. Values are percent-decoded ("+" stays "+")
// and then checked like any element.
func (p Parser) ParseDigitalLink(uri string) (Data, error) {
	var d Data
	limit := p.MaxInput
	if limit <= 0 {
		limit = DefaultMaxInput
	}
	if len(uri) > limit {
		return d, errorf(ErrLength, limit+1, "", "input too long: %d bytes, at most %d", len(uri), limit)
	}
	uri = strings.TrimRight(uri, "\r\n\t")
	if uri == "" {
		return d, errorf(ErrEmpty, 0, "", "empty URI")
	}
	t, err := table()
	if err != nil {
		return d, err
	}
	if err := p.parseDigitalLink(t, uri, 0, &d); err != nil {
		return Data{Form: FormDigitalLink}, err
	}
	return d, nil
}

// segment is a piece of the URI with its offset in the input.
type segment struct {
	text string
	off  int
}

// parseDigitalLink reads uri, which starts at offset off of the input.
func (p Parser) parseDigitalLink(t *dictionary, uri string, off int, d *Data) error {
	d.Form = FormDigitalLink
	if !isURI(uri) {
		return errorf(ErrSyntax, off+1, "", "not an http or https URI")
	}
	if i := strings.IndexByte(uri, '#'); i >= 0 {
		uri = uri[:i] // the fragment is not data
	}
	for i := 0; i < len(uri); i++ {
		if uri[i] <= ' ' || uri[i] >= 0x7f {
			return errorf(ErrSyntax, off+i+1, "", "character %s is not allowed in a URI", quoteByte(uri, i))
		}
	}
	rest := uri[strings.Index(uri, "//")+2:]
	restOff := off + len(uri) - len(rest)
	hostEnd := strings.IndexAny(rest, "/?")
	if hostEnd < 0 {
		hostEnd = len(rest)
	}
	if hostEnd == 0 {
		return errorf(ErrSyntax, restOff+1, "", "URI has no host")
	}
	path, query, _ := strings.Cut(rest[hostEnd:], "?")
	pathOff := restOff + hostEnd
	queryOff := pathOff + len(path) + 1

	var segs []segment
	for i, start := 0, 0; i <= len(path); i++ {
		if i == len(path) || path[i] == '/' {
			if i > start {
				segs = append(segs, segment{path[start:i], pathOff + start})
			}
			start = i + 1
		}
	}

	// Read (AI, value) pairs from the end back to the primary key.
	var pkey *aiDef
	first := -1
	for i := len(segs) - 2; i >= 0; i -= 2 {
		def, ok := t.ais[segs[i].text]
		if !ok {
			break
		}
		if def.dlPKey {
			pkey, first = def, i
			break
		}
	}
	if pkey == nil {
		return errorf(ErrSyntax, pathOff+1, "", "not a GS1 Digital Link URI: the path has no primary key such as /01/{GTIN} followed only by AI/value pairs")
	}
	var qualifiers []string
	for i := first; i < len(segs); i += 2 {
		ai, vseg := segs[i].text, segs[i+1]
		def := t.ais[ai]
		if i > first {
			qualifiers = append(qualifiers, ai)
			if !qualifierOrderOK(pkey.dlQualifiers, qualifiers) {
				return errorf(ErrSyntax, segs[i].off+1, ai, "not allowed as a qualifier of (%s) here; allowed after it: %s",
					pkey.ai, describeQualifiers(pkey.dlQualifiers))
			}
		}
		v, err := url.PathUnescape(vseg.text)
		if err != nil {
			return errorf(ErrSyntax, vseg.off+1, ai, "bad percent-encoding in %q", vseg.text)
		}
		if ai == "01" && firstNonDigit(v) < 0 && (len(v) == 8 || len(v) == 12 || len(v) == 13) {
			v = "00000000000000"[:14-len(v)] + v
		}
		val, perr := validate(def, v, vseg.off+1, p.refYear())
		if perr != nil {
			if v != vseg.text { // offsets inside a decoded or padded value do not map back
				perr.Pos = vseg.off + 1
			}
			return perr
		}
		d.Elements = append(d.Elements, Element{AI: ai, Title: def.title, Raw: v, Value: val, Pos: vseg.off + 1})
	}

	if query != "" {
		for i, start := 0, 0; i <= len(query); i++ {
			if i < len(query) && query[i] != '&' {
				continue
			}
			param := query[start:i]
			poff := queryOff + start
			start = i + 1
			key, val, hasValue := strings.Cut(param, "=")
			if key == "" || firstNonDigit(key) >= 0 {
				continue // not an AI: linkType, context and the like
			}
			if !hasValue {
				return errorf(ErrEmpty, poff+1, key, "query parameter without a value")
			}
			def, ok := t.ais[key]
			if !ok {
				return errorf(ErrUnknownAI, poff+1, key, "unknown AI in Digital Link query")
			}
			if !def.dlAttr {
				return errorf(ErrSyntax, poff+1, key, "not allowed as a Digital Link data attribute (query parameter)")
			}
			v, err := url.PathUnescape(val)
			if err != nil {
				return errorf(ErrSyntax, poff+1, key, "bad percent-encoding in %q", val)
			}
			tv, perr := validate(def, v, poff+len(key)+2, p.refYear())
			if perr != nil {
				if v != val {
					perr.Pos = poff + len(key) + 2
				}
				return perr
			}
			d.Elements = append(d.Elements, Element{AI: key, Title: def.title, Raw: v, Value: tv, Pos: poff + len(key) + 2})
		}
	}
	return p.finish(t, d, nil)
}

// qualifierOrderOK reports whether the qualifiers seen so far follow one of
// the allowed sequences, in order and without repeats.
func qualifierOrderOK(alts [][]string, qs []string) bool {
	for _, seq := range alts {
		if matchesSubsequence(seq, qs) {
			return true
		}
	}
	return false
}

// matchesSubsequence reports whether qs is a subsequence of seq.
func matchesSubsequence(seq, qs []string) bool {
	k := 0
	for _, q := range qs {
		for k < len(seq) && seq[k] != q {
			k++
		}
		if k == len(seq) {
			return false
		}
		k++
	}
	return true
}

func describeQualifiers(alts [][]string) string {
	if len(alts) == 0 {
		return "nothing"
	}
	parts := make([]string, len(alts))
	for i, seq := range alts {
		parts[i] = strings.Join(seq, ", ")
	}
	return fmt.Sprintf("%s (in that order)", strings.Join(parts, " or "))
}
