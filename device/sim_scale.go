package device

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"
)

// ScaleSimConfig configures a simulated serial scale.
type ScaleSimConfig struct {
	// Protocol is ProtocolMTSICS, ProtocolNCI, ProtocolToledo,
	// ProtocolToledoContinuous or ProtocolASCII (CAS lines).
	Protocol string
	// Unit it reports in: default "g" for MT-SICS, "lb" for NCI, "kg" for
	// the others.
	Unit string
	// Interval between frames of streaming protocols (and MT-SICS SIR);
	// default 50 ms.
	Interval time.Duration
	// Checksum adds the checksum byte to Toledo continuous frames.
	Checksum bool
}

// ScaleSim is a serial scale on a pseudo-terminal that speaks the real
// bytes: it answers polls and zero/tare commands, or streams, from a
// weight and conditions set with its methods.
type ScaleSim struct {
	*PtyDevice
	cfg  ScaleSimConfig
	done chan struct{}
	wg   sync.WaitGroup

	mu                  sync.Mutex
	gross, zero, tare   float64 // grams
	motion, over, under bool
	silent              bool
	streaming           bool // MT-SICS SIR
	in                  []byte
	received            []string
}

// NewScaleSim creates a scale reachable at path (a symlink to a pty).
func NewScaleSim(path string, cfg ScaleSimConfig) (*ScaleSim, error) {
	if cfg.Unit == "" {
		switch cfg.Protocol {
		case ProtocolMTSICS:
			cfg.Unit = "g"
		case ProtocolNCI:
			cfg.Unit = "lb"
		default:
			cfg.Unit = "kg"
		}
	}
	if _, err := toGrams(1, cfg.Unit); err != nil {
		return nil, err
	}
	switch cfg.Protocol {
	case ProtocolMTSICS, ProtocolNCI, ProtocolToledo, ProtocolToledoContinuous, ProtocolASCII:
	default:
		return nil, fmt.Errorf("scale sim: protocol %q not simulated", cfg.Protocol)
	}
	if cfg.Interval <= 0 {
		cfg.Interval = 50 * time.Millisecond
	}
	s := &ScaleSim{cfg: cfg, done: make(chan struct{})}
	d, err := NewPtyDevice(path, s.input)
	if err != nil {
		return nil, err
	}
	s.PtyDevice = d
	s.wg.Go(s.stream)
	return s, nil
}

// SetWeight puts grams on the scale (gross).
func (s *ScaleSim) SetWeight(grams float64) { s.set(func() { s.gross = grams }) }

// SetMotion makes the weight unsettled.
func (s *ScaleSim) SetMotion(moving bool) { s.set(func() { s.motion = moving }) }

// SetOverload makes the scale report over capacity.
func (s *ScaleSim) SetOverload(over bool) { s.set(func() { s.over = over }) }

// SetUnderload makes the scale report under zero (pan removed).
func (s *ScaleSim) SetUnderload(under bool) { s.set(func() { s.under = under }) }

// SetSilent makes the scale ignore requests, as one switched off behind a
// USB-serial cable does.
func (s *ScaleSim) SetSilent(silent bool) { s.set(func() { s.silent = silent }) }

// Tare returns the tare in grams.
func (s *ScaleSim) Tare() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tare
}

// Received returns the commands the station sent, in order.
func (s *ScaleSim) Received() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.received...)
}

func (s *ScaleSim) set(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
}

// Close unplugs the scale and stops it.
func (s *ScaleSim) Close() error {
	select {
	case <-s.done:
	default:
		close(s.done)
	}
	err := s.PtyDevice.Close()
	s.wg.Wait()
	return err
}

// stream writes frames of streaming protocols until Close.
func (s *ScaleSim) stream() {
	t := time.NewTicker(s.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
		}
		s.mu.Lock()
		var frame []byte
		switch {
		case s.silent:
		case s.cfg.Protocol == ProtocolToledoContinuous:
			frame = s.toledoContinuous()
		case s.cfg.Protocol == ProtocolASCII:
			frame = s.casLine()
		case s.cfg.Protocol == ProtocolMTSICS && s.streaming:
			frame = s.sicsWeight(true)
		}
		s.mu.Unlock()
		// Drop what nobody reads, as a UART would, rather than block.
		if frame != nil && s.pending() < 256 {
			s.Write(frame)
		}
	}
}

// input handles bytes from the station.
func (s *ScaleSim) input(p []byte) {
	s.mu.Lock()
	var out [][]byte
	s.in = append(s.in, p...)
	for {
		cmd, ok := s.nextCommand()
		if !ok {
			break
		}
		if cmd == "" {
			continue
		}
		s.received = append(s.received, cmd)
		if s.silent {
			continue
		}
		if r := s.answer(cmd); r != nil {
			out = append(out, r)
		}
	}
	if len(s.in) > 1024 {
		s.in = s.in[:0] // garbage without a terminator
	}
	s.mu.Unlock()
	for _, r := range out {
		s.Write(r)
	}
}

// nextCommand takes one command off the input: MT-SICS lines end in CR
// LF, NCI commands in CR, Toledo commands are single letters.
func (s *ScaleSim) nextCommand() (string, bool) {
	var end byte
	switch s.cfg.Protocol {
	case ProtocolMTSICS:
		end = '\n'
	case ProtocolNCI:
		end = '\r'
	default:
		if len(s.in) == 0 {
			return "", false
		}
		cmd := string(s.in[:1])
		s.in = s.in[1:]
		return cmd, true
	}
	i := bytes.IndexByte(s.in, end)
	if i < 0 {
		return "", false
	}
	cmd := strings.Trim(string(s.in[:i]), "\r\n")
	s.in = s.in[i+1:]
	return cmd, true
}

func (s *ScaleSim) net() float64 { return s.gross - s.zero - s.tare }

// value converts grams to the configured unit, rounded to its display.
func (s *ScaleSim) value(g float64, decimals int) float64 {
	v := g / gramsPer[s.cfg.Unit]
	p := math.Pow10(decimals)
	return math.Round(v*p) / p
}

func (s *ScaleSim) decimals() int {
	if s.cfg.Unit == "g" {
		return 2
	}
	return 3
}

func (s *ScaleSim) sicsWeight(immediate bool) []byte {
	switch {
	case s.over:
		return []byte("S +\r\n")
	case s.under:
		return []byte("S -\r\n")
	case s.motion && !immediate:
		return []byte("S I\r\n")
	}
	status := "S"
	if s.motion {
		status = "D"
	}
	return fmt.Appendf(nil, "S %s %10.*f %s\r\n", status, s.decimals(), s.value(s.net(), s.decimals()), s.cfg.Unit)
}

func (s *ScaleSim) nciStatus() []byte {
	b1, b2 := byte(0x30), byte(0x30)
	if s.motion {
		b1 |= 1
	}
	if s.net() == 0 {
		b1 |= 2
	}
	if s.under {
		b2 |= 1
	}
	if s.over {
		b2 |= 2
	}
	return []byte{b1, b2}
}

func (s *ScaleSim) answer(cmd string) []byte {
	switch s.cfg.Protocol {
	case ProtocolMTSICS:
		if cmd != "SIR" {
			s.streaming = false
		}
		switch cmd {
		case "S":
			return s.sicsWeight(false)
		case "SI":
			return s.sicsWeight(true)
		case "SIR":
			s.streaming = true
			return s.sicsWeight(true)
		case "Z", "ZI":
			if s.motion && cmd == "Z" {
				return []byte("Z I\r\n")
			}
			s.zero, s.tare = s.gross, 0
			return []byte(cmd + " A\r\n")
		case "T":
			if s.motion {
				return []byte("T I\r\n")
			}
			s.tare = s.gross - s.zero
			return fmt.Appendf(nil, "T S %10.*f %s\r\n", s.decimals(), s.value(s.tare, s.decimals()), s.cfg.Unit)
		case "TAC":
			s.tare = 0
			return []byte("TAC A\r\n")
		case "@":
			return []byte("I4 A \"SIM00001\"\r\n")
		}
		return []byte("ES\r\n")
	case ProtocolNCI:
		switch cmd {
		case "W":
			w := fmt.Sprintf("%07.2f", s.value(s.net(), 2))
			if s.over || s.under {
				w = "-------"
			}
			return fmt.Appendf(nil, "\n%s%s\r\n%s\r\x03", w, strings.ToUpper(s.cfg.Unit), s.nciStatus())
		case "S":
			return fmt.Appendf(nil, "\n%s\r\x03", s.nciStatus())
		case "Z":
			s.zero, s.tare = s.gross, 0
			return fmt.Appendf(nil, "\n%s\r\x03", s.nciStatus())
		}
		return []byte("\n?\r\x03")
	case ProtocolToledo:
		switch cmd {
		case "W":
			n := s.net()
			if s.motion || s.over || s.under || n < 0 {
				st := byte(0x40)
				if s.motion {
					st |= 1
				}
				if s.over {
					st |= 2
				}
				if s.under || n < 0 {
					st |= 4
				}
				return []byte{stx, '?', st, '\r'}
			}
			net := ""
			if s.tare != 0 {
				net = "N"
			}
			return fmt.Appendf(nil, "\x02%8.3f%s\r", s.value(n, 3), net)
		case "Z":
			s.zero, s.tare = s.gross, 0
		case "T":
			s.tare = s.gross - s.zero
		case "C":
			s.tare = 0
		}
	case ProtocolToledoContinuous, ProtocolASCII:
		switch cmd {
		case "Z":
			s.zero, s.tare = s.gross, 0
		case "T":
			s.tare = s.gross - s.zero
		case "C":
			s.tare = 0
		}
	}
	return nil
}

func (s *ScaleSim) toledoContinuous() []byte {
	dec, dp := 3, byte(5) // X.XXX
	swb := byte(0x20)
	if s.cfg.Unit != "kg" {
		dec, dp = 2, 4 // X.XX lb
	} else {
		swb |= 16
	}
	n := s.net()
	if s.tare != 0 {
		swb |= 1
	}
	if n < 0 || s.under {
		swb |= 2
	}
	if s.over || s.under {
		swb |= 4
	}
	if s.motion {
		swb |= 8
	}
	w := int(math.Abs(math.Round(s.value(n, dec) * math.Pow10(dec))))
	t := int(math.Round(s.value(s.tare, dec) * math.Pow10(dec)))
	f := fmt.Appendf(nil, "\x02%c%c%c%06d%06d\r", 0x20|1<<3|dp, swb, 0x20, w%1000000, t%1000000)
	if s.cfg.Checksum {
		sum := 0
		for _, c := range f {
			sum += int(c)
		}
		f = append(f, byte(-sum)&0x7f)
	}
	return f
}

func (s *ScaleSim) casLine() []byte {
	st := "ST"
	switch {
	case s.over:
		st = "OL"
	case s.motion:
		st = "US"
	}
	gn := "GS"
	if s.tare != 0 {
		gn = "NT"
	}
	v := s.value(s.net(), 3)
	sign := '+'
	if v < 0 {
		sign, v = '-', -v
	}
	return fmt.Appendf(nil, "%s,%s,%c%8.3f%s\r\n", st, gn, sign, v, s.cfg.Unit)
}
