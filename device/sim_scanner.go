package device

// ScannerSimConfig is how a simulated serial scanner frames barcodes.
type ScannerSimConfig struct {
	Suffix Suffix // default SuffixCR
	Prefix string // sent before each barcode
}

// ScannerSim is a serial barcode scanner on a pseudo-terminal: Scan sends
// a barcode the way a scanner in USB-COM or RS-232 mode does.
type ScannerSim struct {
	*PtyDevice
	cfg ScannerSimConfig
}

// NewScannerSim creates a scanner reachable at path (a symlink to a pty).
func NewScannerSim(path string, cfg ScannerSimConfig) (*ScannerSim, error) {
	if _, _, err := cfg.Suffix.terminator(); err != nil {
		return nil, err
	}
	d, err := NewPtyDevice(path, nil)
	if err != nil {
		return nil, err
	}
	return &ScannerSim{PtyDevice: d, cfg: cfg}, nil
}

// Frame returns the bytes a scan of code puts on the wire: prefix, code
// (with its AIM identifier, if any, and GS separators), suffix.
func (s *ScannerSim) Frame(code string) []byte {
	b := append([]byte(s.cfg.Prefix), code...)
	end, mode, _ := s.cfg.Suffix.terminator()
	if mode == SuffixCRLF {
		return append(b, '\r', '\n')
	}
	return append(b, end)
}

// Scan sends one barcode.
func (s *ScannerSim) Scan(code string) error {
	_, err := s.Write(s.Frame(code))
	return err
}
