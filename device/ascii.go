package device

import (
	"fmt"
	"regexp"
	"strings"
)

// CASPattern parses the line CAS and many other scales stream, such as
// "ST,GS,+  1.500kg": ST stable, US unstable, OL overload; GS gross, NT
// net. It is the default ASCII pattern.
const CASPattern = `(?:(?P<stable>ST)|(?P<motion>US)|(?P<over>OL)),(?:GS|(?P<net>NT)|TR)?,?\s*(?P<weight>[+-]?\s*[0-9.]+)\s*(?P<unit>kg|lb|g|oz)?`

// ASCIIConfig configures ProtocolASCII, for scales that stream text lines.
type ASCIIConfig struct {
	// Pattern is a regexp with a named group "weight" and optional groups
	// "unit", and "stable", "motion", "over", "under", "net" whose match
	// sets the flag. Without stable and motion groups, stability comes
	// from the scale's StableDetector. Default CASPattern.
	Pattern string `json:"pattern,omitempty"`
	// Suffix ends a line; default SuffixLF (a CR before it is dropped).
	Suffix Suffix `json:"suffix,omitempty"`
	// Poll is sent every poll interval when set (e.g. "P\r\n" for Adam
	// scales); otherwise the scale is expected to stream.
	Poll string `json:"poll,omitempty"`
	// Zero, Tare and ClearTare are the command strings, "" when the scale
	// has none.
	Zero      string `json:"zero,omitempty"`
	Tare      string `json:"tare,omitempty"`
	ClearTare string `json:"clear_tare,omitempty"`
}

// ASCIIParser parses weight lines with a configured regexp.
type ASCIIParser struct {
	re   *regexp.Regexp
	unit string
	idx  map[string]int
}

// NewASCIIParser compiles pattern ("" means CASPattern). unit is used when
// the pattern has no unit group or it did not match.
func NewASCIIParser(pattern, unit string) (*ASCIIParser, error) {
	if pattern == "" {
		pattern = CASPattern
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("ascii pattern: %w", err)
	}
	p := &ASCIIParser{re: re, unit: unit, idx: map[string]int{}}
	for i, n := range re.SubexpNames() {
		if n != "" {
			p.idx[n] = i
		}
	}
	if _, ok := p.idx["weight"]; !ok {
		return nil, fmt.Errorf("ascii pattern %q: no (?P<weight>…) group", pattern)
	}
	if _, err := toGrams(1, unit); err != nil {
		return nil, fmt.Errorf("ascii: %w", err)
	}
	return p, nil
}

func (p *ASCIIParser) group(m [][]byte, name string) string {
	if i, ok := p.idx[name]; ok && m[i] != nil {
		return string(m[i])
	}
	return ""
}

// Parse parses one line. A line the pattern does not match is an error.
func (p *ASCIIParser) Parse(line []byte) (Reading, error) {
	m := p.re.FindSubmatch(line)
	if m == nil {
		return Reading{}, fmt.Errorf("ascii %q: does not match the pattern", line)
	}
	var r Reading
	if p.group(m, "stable") != "" {
		r.Flags |= FlagStable
	}
	if p.group(m, "motion") != "" {
		r.Flags |= FlagMotion
	}
	if p.group(m, "net") != "" {
		r.Flags |= FlagNet
	}
	if p.group(m, "over") != "" {
		r.Flags |= FlagOverCapacity
		r.Message = "over capacity"
	}
	if p.group(m, "under") != "" {
		r.Flags |= FlagUnderZero
		r.Message = "under zero"
	}
	unit := p.group(m, "unit")
	if unit == "" {
		unit = p.unit
	}
	w := strings.ReplaceAll(p.group(m, "weight"), " ", "")
	v, err := parseDecimal(w)
	if err != nil {
		if !r.HasWeight() {
			return r, nil
		}
		return Reading{}, fmt.Errorf("ascii %q: weight: %w", line, err)
	}
	r.Value, r.Unit = v, unit
	if r.HasWeight() {
		if r.Grams, err = toGrams(v, unit); err != nil {
			return Reading{}, fmt.Errorf("ascii %q: %w", line, err)
		}
	}
	return r, nil
}

type asciiProto struct {
	p   *ASCIIParser
	cfg ASCIIConfig
}

func (a asciiProto) splitter() splitter {
	suffix := a.cfg.Suffix
	if suffix == "" {
		suffix = SuffixLF
	}
	sp, err := newLineSplitter(suffix, 256)
	if err != nil {
		sp, _ = newLineSplitter(SuffixLF, 256)
	}
	return sp
}

func (asciiProto) start() []byte { return nil }

func (a asciiProto) poll() ([]byte, string) {
	if a.cfg.Poll == "" {
		return nil, ""
	}
	return []byte(a.cfg.Poll), "W"
}

func (a asciiProto) command(c scaleCmd) ([]byte, string, error) {
	s := [...]string{a.cfg.Zero, a.cfg.Tare, a.cfg.ClearTare}[c]
	if s == "" {
		return nil, "", ErrUnsupported
	}
	return []byte(s), "", nil
}

func (a asciiProto) parse(frame []byte) scaleMsg {
	r, err := a.p.Parse(frame)
	if err != nil {
		return scaleMsg{bad: err}
	}
	return scaleMsg{reply: "W", reading: r, hasReading: true}
}
