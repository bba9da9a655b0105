package gs1

import (
	_ "embed"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// dictionaryText is GS1's Barcode Syntax Dictionary, embedded unchanged with
// its licence header (see syntax/README.md and syntax/LICENSE).
//
//go:embed syntax/gs1-syntax-dictionary.txt
var dictionaryText string

// loadDictionary parses the embedded dictionary once, on first use.
var loadDictionary = sync.OnceValues(func() (*dictionary, error) {
	return parseDictionary(dictionaryText)
})

// table returns the AI table, or an error if the embedded dictionary is
// broken, which the tests rule out; callers report it as an internal error.
func table() (*dictionary, error) {
	d, err := loadDictionary()
	if err != nil {
		return nil, fmt.Errorf("gs1: embedded syntax dictionary: %w", err)
	}
	return d, nil
}

// AIInfo describes one Application Identifier as GS1's syntax dictionary
// defines it.
type AIInfo struct {
	// AI is the Application Identifier, two to four digits.
	AI string
	// Title is GS1's short data title, e.g. "BATCH/LOT". A few AIs have
	// none in the dictionary.
	Title string
	// Format is the dictionary's specification of the value's components,
	// e.g. "N14,csum,gcppos2" or "N3,iso3166 X..9".
	Format string
	// MinLength and MaxLength bound the value's length in characters.
	MinLength, MaxLength int
	// FixedLength reports that the AI is in GS1's table of predefined
	// lengths, so no FNC1 separator follows its value in an element string.
	// Every other AI is followed by FNC1 unless it is last, even when its
	// value has a fixed length.
	FixedLength bool
	// DigitalLinkAttribute reports that the AI may appear in the query of a
	// GS1 Digital Link URI.
	DigitalLinkAttribute bool
	// PrimaryKey reports that the AI is a Digital Link primary key (GTIN,
	// SSCC, GLN...).
	PrimaryKey bool
	// Qualifiers lists, for a primary key, the alternative sequences of
	// qualifier AIs that may follow it in a Digital Link path, in order:
	// for AI 01, [[22 10 21] [235]].
	Qualifiers [][]string
}

// LookupAI returns what GS1's syntax dictionary says about ai, and false if
// ai is not an assigned Application Identifier.
func LookupAI(ai string) (AIInfo, bool) {
	t, err := table()
	if err != nil {
		return AIInfo{}, false
	}
	def, ok := t.ais[ai]
	if !ok {
		return AIInfo{}, false
	}
	info := AIInfo{
		AI: def.ai, Title: def.title, Format: def.format,
		MinLength: def.minLen, MaxLength: def.maxLen,
		FixedLength: def.predefined, DigitalLinkAttribute: def.dlAttr,
		PrimaryKey: def.dlPKey,
	}
	for _, q := range def.dlQualifiers {
		info.Qualifiers = append(info.Qualifiers, slices.Clone(q))
	}
	return info, true
}

// component is one part of an AI's value, e.g. "N3,iso3166" or "[X..17]".
type component struct {
	cset     byte // 'N', 'X', 'Y' or 'Z'
	min, max int
	optional bool
	linters  []string
}

func (c component) fixed() bool { return c.min == c.max }

// aiDef is one AI of the dictionary.
type aiDef struct {
	ai, title, format string
	predefined        bool // '*' flag: no FNC1 after it
	dlAttr            bool // '?' flag: allowed in a Digital Link query
	comps             []component
	minLen, maxLen    int
	req               [][][]string // each req=: alternatives, each a list of patterns all required
	ex                []string     // patterns that must not appear with this AI
	dlPKey            bool
	dlQualifiers      [][]string
}

// dictionary is the parsed AI table.
type dictionary struct {
	ais map[string]*aiDef
	// lengths maps the first two digits of every assigned AI to the AI
	// lengths in use with that prefix, to read an AI of unknown length.
	lengths map[string][]int
}

// parseDictionary parses the text of a GS1 Barcode Syntax Dictionary. It
// returns an error naming the line of the first entry it cannot read.
func parseDictionary(text string) (*dictionary, error) {
	d := &dictionary{ais: map[string]*aiDef{}, lengths: map[string][]int{}}
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		defs, err := parseEntry(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n+1, err)
		}
		for _, def := range defs {
			if _, dup := d.ais[def.ai]; dup {
				return nil, fmt.Errorf("line %d: AI %s defined twice", n+1, def.ai)
			}
			d.ais[def.ai] = def
			p := def.ai[:2]
			if !slices.Contains(d.lengths[p], len(def.ai)) {
				d.lengths[p] = append(d.lengths[p], len(def.ai))
				slices.Sort(d.lengths[p])
			}
		}
	}
	if len(d.ais) == 0 {
		return nil, fmt.Errorf("no entries")
	}
	return d, nil
}

// parseEntry parses one entry, "AIs [Flags] Specification [Attributes] [# Title]",
// into one aiDef per AI of its range.
func parseEntry(line string) ([]*aiDef, error) {
	body, title, _ := strings.Cut(line, "#")
	fields := strings.Fields(body)
	if len(fields) < 2 {
		return nil, fmt.Errorf("entry %q: want AI and specification", strings.TrimSpace(line))
	}
	proto := &aiDef{title: strings.TrimSpace(title)}
	i := 1
	if isFlags(fields[1]) {
		proto.predefined = strings.Contains(fields[1], "*")
		proto.dlAttr = strings.Contains(fields[1], "?")
		i++
	}
	var specs []string
	for ; i < len(fields) && isComponent(fields[i]); i++ {
		c, err := parseComponent(fields[i])
		if err != nil {
			return nil, err
		}
		if len(proto.comps) > 0 {
			prev := proto.comps[len(proto.comps)-1]
			if !prev.fixed() {
				return nil, fmt.Errorf("component %q follows a variable-length component", fields[i])
			}
			if prev.optional && !c.optional {
				return nil, fmt.Errorf("mandatory component %q follows an optional one", fields[i])
			}
		}
		proto.comps = append(proto.comps, c)
		specs = append(specs, fields[i])
		if !c.optional {
			proto.minLen += c.min
		}
		proto.maxLen += c.max
	}
	if len(proto.comps) == 0 {
		return nil, fmt.Errorf("entry for %s has no components", fields[0])
	}
	proto.format = strings.Join(specs, " ")
	for ; i < len(fields); i++ {
		if err := parseAttribute(proto, fields[i]); err != nil {
			return nil, err
		}
	}
	ais, err := expandRange(fields[0])
	if err != nil {
		return nil, err
	}
	defs := make([]*aiDef, len(ais))
	for k, ai := range ais {
		def := *proto
		def.ai = ai
		defs[k] = &def
	}
	return defs, nil
}

// isFlags reports whether f is a flags field: only flag characters.
func isFlags(f string) bool {
	return strings.Trim(f, "*!?\"$%&'()+,-./:;<=>@[\\]^_`{|}~") == "" && !strings.HasPrefix(f, "[")
}

func isComponent(f string) bool {
	return f != "" && strings.ContainsRune("NXYZ[", rune(f[0]))
}

// parseComponent parses "N14,csum", "X..20", "[N3],iso3166" or "[X..17]".
func parseComponent(f string) (component, error) {
	var c component
	spec, linters := f, ""
	if strings.HasPrefix(f, "[") {
		end := strings.IndexByte(f, ']')
		if end < 0 {
			return c, fmt.Errorf("component %q: missing ]", f)
		}
		c.optional = true
		spec, linters = f[1:end], f[end+1:]
		if linters != "" && linters[0] != ',' {
			return c, fmt.Errorf("component %q: junk after ]", f)
		}
		linters = strings.TrimPrefix(linters, ",")
	} else {
		spec, linters, _ = strings.Cut(f, ",")
	}
	if len(spec) < 2 || !strings.ContainsRune("NXYZ", rune(spec[0])) {
		return c, fmt.Errorf("component %q: want type N, X, Y or Z and a length", f)
	}
	c.cset = spec[0]
	length := spec[1:]
	var err error
	if lo, hi, ok := strings.Cut(length, ".."); ok {
		c.min = 1
		if lo != "" {
			if c.min, err = strconv.Atoi(lo); err != nil {
				return c, fmt.Errorf("component %q: bad minimum length", f)
			}
		}
		if c.max, err = strconv.Atoi(hi); err != nil {
			return c, fmt.Errorf("component %q: bad maximum length", f)
		}
	} else {
		if c.max, err = strconv.Atoi(length); err != nil {
			return c, fmt.Errorf("component %q: bad length", f)
		}
		c.min = c.max
	}
	if c.min < 1 || c.max < c.min || c.max > 99 {
		return c, fmt.Errorf("component %q: length out of range", f)
	}
	if linters != "" {
		c.linters = strings.Split(linters, ",")
	}
	return c, nil
}

// parseAttribute applies one attribute (req=, ex=, dlpkey[=]) to def.
// Unknown attributes are ignored so that a newer dictionary still loads.
func parseAttribute(def *aiDef, f string) error {
	key, val, hasVal := strings.Cut(f, "=")
	switch key {
	case "req":
		var alts [][]string
		for _, alt := range strings.Split(val, ",") {
			group := strings.Split(alt, "+")
			for _, p := range group {
				if !isPattern(p) {
					return fmt.Errorf("req=%s: bad AI pattern %q", val, p)
				}
			}
			alts = append(alts, group)
		}
		def.req = append(def.req, alts)
	case "ex":
		for _, p := range strings.Split(val, ",") {
			if !isPattern(p) {
				return fmt.Errorf("ex=%s: bad AI pattern %q", val, p)
			}
			def.ex = append(def.ex, p)
		}
	case "dlpkey":
		def.dlPKey = true
		if hasVal {
			for _, alt := range strings.Split(val, "|") {
				q := strings.Split(alt, ",")
				for _, ai := range q {
					if !isPattern(ai) || strings.Contains(ai, "n") {
						return fmt.Errorf("dlpkey=%s: bad AI %q", val, ai)
					}
				}
				def.dlQualifiers = append(def.dlQualifiers, q)
			}
		}
	}
	return nil
}

// isPattern reports whether p is an AI or an AI pattern such as "31nn".
func isPattern(p string) bool {
	if len(p) < 2 || len(p) > 4 || p[0] < '0' || p[0] > '9' {
		return false
	}
	for i := 0; i < len(p); i++ {
		if (p[i] < '0' || p[i] > '9') && p[i] != 'n' {
			return false
		}
	}
	return true
}

// matchPattern reports whether ai matches a pattern such as "310n".
func matchPattern(pattern, ai string) bool {
	if len(pattern) != len(ai) {
		return false
	}
	for i := 0; i < len(ai); i++ {
		if pattern[i] != 'n' && pattern[i] != ai[i] {
			return false
		}
	}
	return true
}

// expandRange turns "3100-3105" into its AIs and "00" into itself.
func expandRange(f string) ([]string, error) {
	lo, hi, isRange := strings.Cut(f, "-")
	if !isRange {
		hi = lo
	}
	if len(lo) < 2 || len(lo) > 4 || len(lo) != len(hi) || firstNonDigit(lo) >= 0 || firstNonDigit(hi) >= 0 {
		return nil, fmt.Errorf("bad AI or range %q", f)
	}
	a, _ := strconv.Atoi(lo)
	b, _ := strconv.Atoi(hi)
	if b < a {
		return nil, fmt.Errorf("bad AI range %q", f)
	}
	ais := make([]string, 0, b-a+1)
	for n := a; n <= b; n++ {
		ais = append(ais, fmt.Sprintf("%0*d", len(lo), n))
	}
	return ais, nil
}

// matchAI finds the AI at the start of s: the known AI among its first two,
// three or four digits. On failure it returns the digits it takes for the
// AI (for the error message) and false.
func (d *dictionary) matchAI(s string) (ai string, def *aiDef, ok bool) {
	for n := 2; n <= 4 && n <= len(s); n++ {
		if firstNonDigit(s[:n]) >= 0 {
			break
		}
		if def, ok := d.ais[s[:n]]; ok {
			return s[:n], def, true
		}
	}
	// Unknown: guess its length from the lengths used with its prefix.
	n := 0
	for n < len(s) && n < 4 && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	if n >= 2 {
		if ls := d.lengths[s[:2]]; len(ls) > 0 && ls[0] <= n {
			return s[:ls[0]], nil, false
		}
		return s[:2], nil, false
	}
	return s[:n], nil, false
}
