package pickwave

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Station is a pack station: one PC or thin client with a fixed barcode
// scanner, a scale and a label printer. Each device is optional (nil when
// the station has none). Changing a station's devices takes effect at once:
// the server stops the running devices and starts them with the new
// configuration.
type Station struct {
	ID        string         `json:"id"`
	Name      string         `json:"name"`
	Scanner   *ScannerConfig `json:"scanner"`
	Scale     *ScaleConfig   `json:"scale"`
	Printer   *PrinterConfig `json:"printer"`
	CreatedAt time.Time      `json:"created_at"`
	UpdatedAt time.Time      `json:"updated_at"`
}

// ScannerConfig is a station's barcode scanner. Port is a device path
// (/dev/ttyACM0, /dev/serial/by-id/…, /dev/input/event3 for a keyboard
// wedge) or a USB binding "usb:VID:PID[:SERIAL]" that is looked up again
// on every reconnect.
type ScannerConfig struct {
	Port string `json:"port"`
	// Baud is the serial speed; 0 means 9600. USB CDC scanners ignore it.
	Baud int `json:"baud"`
	// Suffix ends each barcode: "cr" (default), "lf", "crlf" or one byte
	// written "0xNN".
	Suffix string `json:"suffix"`
	// Prefix is stripped from the start of each barcode when present.
	Prefix string `json:"prefix,omitempty"`
	// DedupMS drops a repeat of the same barcode within this many
	// milliseconds; 0 keeps every read.
	DedupMS int `json:"dedup_ms,omitempty"`
	// Transport is "serial" (default) or "evdev" (USB HID keyboard wedge).
	Transport string `json:"transport,omitempty"`
}

// Scale protocols a station can be configured with.
const (
	ScaleMTSICS           = "mt-sics"           // Mettler Toledo MT-SICS
	ScaleNCI              = "nci"               // NCI / Weigh-Tronix SCP-01
	ScaleToledo8217       = "toledo-8217"       // Toledo 8217, polled
	ScaleToledoContinuous = "toledo-continuous" // Toledo continuous output
	ScaleASCII            = "ascii"             // any text line, parsed by Pattern
	ScaleHID              = "hid"               // USB HID POS scale (/dev/hidraw*)
)

// ScaleProtocols lists every scale protocol.
var ScaleProtocols = []string{ScaleMTSICS, ScaleNCI, ScaleToledo8217, ScaleToledoContinuous, ScaleASCII, ScaleHID}

// ScaleConfig is a station's scale. Port is as for ScannerConfig
// (/dev/hidraw* for a HID scale).
type ScaleConfig struct {
	Port     string `json:"port"`
	Protocol string `json:"protocol"`
	// Baud, DataBits, Parity and StopBits are the line setting; zero
	// values mean 9600 8N1. Toledo and NCI scales are usually 7E1.
	Baud     int    `json:"baud"`
	DataBits int    `json:"data_bits"`
	Parity   string `json:"parity"`
	StopBits int    `json:"stop_bits,omitempty"`
	// Unit is the unit of protocols that send none (Toledo 8217) and the
	// default of ASCII lines: g, kg, lb or oz; "" means kg.
	Unit string `json:"unit,omitempty"`
	// Pattern is the regexp of the ascii protocol, with a (?P<weight>…)
	// group; "" means the CAS format.
	Pattern string `json:"pattern,omitempty"`
	// PollMS is how often a polled scale is asked for its weight; 0 means
	// 50 ms, so a stable weight is on screen well within 100 ms.
	PollMS int `json:"poll_ms,omitempty"`
	// Stream makes an MT-SICS scale push weights (SIR) instead of being
	// polled.
	Stream bool `json:"stream,omitempty"`
	// Checksum says a Toledo continuous scale sends a checksum byte.
	Checksum bool `json:"checksum,omitempty"`
}

// PrinterConfig is a station's label printer. URI is tcp://host[:9100],
// serial:///dev/ttyUSB0?baud=9600 (or serial:usb:VID:PID) or
// file:///dev/usb/lp0 (or file:usb:VID:PID), with the parameters
// PrinterURI describes.
type PrinterConfig struct {
	URI string `json:"uri"`
	// DPI is the print resolution labels are laid out for: 152, 203, 300
	// or 600; 0 means 203.
	DPI int `json:"dpi"`
}

// PrinterDPIs lists the resolutions labels can be laid out for.
var PrinterDPIs = []int{152, 203, 300, 600}

// Limits on station fields.
const (
	MaxPortLen    = 256
	MaxPrefixLen  = 16
	MaxDedupMS    = 60_000
	MaxPatternLen = 512
	MaxPollMS     = 10_000
	MaxRequestID  = 128
	MaxLabelBytes = 1 << 20 // one print job's ZPL
	DefaultDPI    = 203
	maxBaud       = 4_000_000
)

var (
	usbBinding   = regexp.MustCompile(`^usb:[0-9A-Fa-f]{4}:[0-9A-Fa-f]{4}(:[^:\s]+)?$`)
	suffixByte   = regexp.MustCompile(`^0x[0-9a-fA-F]{2}$`)
	scaleUnits   = []string{"", "g", "kg", "lb", "oz"}
	serialParity = []string{"", "none", "odd", "even", "mark", "space"}
)

// Validate checks the station's fields. It does not open any device: a
// device that is absent now is reported offline in the station's state.
func (s *Station) Validate() error {
	var fe FieldErrors
	checkCode(&fe, "id", s.ID)
	checkText(&fe, "name", s.Name, true)
	if c := s.Scanner; c != nil {
		checkPort(&fe, "scanner.port", c.Port)
		checkBaud(&fe, "scanner.baud", c.Baud)
		if c.Suffix != "" && !slices.Contains([]string{"cr", "lf", "crlf"}, c.Suffix) && !suffixByte.MatchString(c.Suffix) {
			fe.Add("scanner.suffix", `must be "cr", "lf", "crlf" or one byte written "0xNN"`)
		}
		if len(c.Prefix) > MaxPrefixLen {
			fe.Add("scanner.prefix", "is longer than %d bytes", MaxPrefixLen)
		}
		if c.DedupMS < 0 || c.DedupMS > MaxDedupMS {
			fe.Add("scanner.dedup_ms", "must be between 0 and %d", MaxDedupMS)
		}
		if c.Transport != "" && c.Transport != "serial" && c.Transport != "evdev" {
			fe.Add("scanner.transport", `must be "serial" or "evdev"`)
		}
	}
	if c := s.Scale; c != nil {
		checkPort(&fe, "scale.port", c.Port)
		if !slices.Contains(ScaleProtocols, c.Protocol) {
			fe.Add("scale.protocol", "must be one of %s", strings.Join(ScaleProtocols, ", "))
		}
		checkBaud(&fe, "scale.baud", c.Baud)
		if c.DataBits != 0 && (c.DataBits < 5 || c.DataBits > 8) {
			fe.Add("scale.data_bits", "must be between 5 and 8")
		}
		if !slices.Contains(serialParity, c.Parity) {
			fe.Add("scale.parity", "must be none, odd, even, mark or space")
		}
		if c.StopBits != 0 && c.StopBits != 1 && c.StopBits != 2 {
			fe.Add("scale.stop_bits", "must be 1 or 2")
		}
		if !slices.Contains(scaleUnits, c.Unit) {
			fe.Add("scale.unit", "must be g, kg, lb or oz")
		}
		if c.Pattern != "" {
			checkPattern(&fe, "scale.pattern", c.Pattern, c.Protocol)
		}
		if c.PollMS < 0 || c.PollMS > MaxPollMS {
			fe.Add("scale.poll_ms", "must be between 0 and %d", MaxPollMS)
		}
		if c.Stream && c.Protocol != ScaleMTSICS {
			fe.Add("scale.stream", "applies to mt-sics scales only")
		}
		if c.Checksum && c.Protocol != ScaleToledoContinuous {
			fe.Add("scale.checksum", "applies to toledo-continuous scales only")
		}
	}
	if c := s.Printer; c != nil {
		parsePrinterURI(&fe, "printer.uri", c.URI)
		if c.DPI != 0 && !slices.Contains(PrinterDPIs, c.DPI) {
			fe.Add("printer.dpi", "must be one of %v", PrinterDPIs)
		}
	}
	if s.Scanner != nil && s.Scale != nil && s.Scanner.Port == s.Scale.Port && s.Scale.Port != "" {
		fe.Add("scale.port", "is the scanner's port too: a port serves one device")
	}
	return fe.Err("The station is not valid.")
}

// Ports returns the serial and input ports the station's scanner and scale
// use, for finding two stations that claim one device.
func (s *Station) Ports() []string {
	var ports []string
	if s.Scanner != nil {
		ports = append(ports, s.Scanner.Port)
	}
	if s.Scale != nil {
		ports = append(ports, s.Scale.Port)
	}
	return ports
}

func checkPort(fe *FieldErrors, field, v string) {
	switch {
	case v == "":
		fe.Add(field, "is required")
	case len(v) > MaxPortLen:
		fe.Add(field, "is longer than %d bytes", MaxPortLen)
	case strings.ContainsFunc(v, func(r rune) bool { return r < ' ' || r == 0x7f }):
		fe.Add(field, "must not contain control characters")
	case strings.HasPrefix(v, "usb:"):
		if !usbBinding.MatchString(v) {
			fe.Add(field, "must be usb:VID:PID or usb:VID:PID:SERIAL with four-digit hex ids")
		}
	case !strings.HasPrefix(v, "/"):
		fe.Add(field, "must be an absolute device path such as /dev/ttyACM0, or usb:VID:PID[:SERIAL]")
	}
}

func checkBaud(fe *FieldErrors, field string, v int) {
	if v < 0 || v > maxBaud {
		fe.Add(field, "must be between 0 (9600) and %d", maxBaud)
	}
}

func checkPattern(fe *FieldErrors, field, pattern, protocol string) {
	if protocol != ScaleASCII {
		fe.Add(field, "applies to ascii scales only")
		return
	}
	if len(pattern) > MaxPatternLen {
		fe.Add(field, "is longer than %d bytes", MaxPatternLen)
		return
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		fe.Add(field, "is not a regular expression: %v", err)
		return
	}
	if re.SubexpIndex("weight") < 0 {
		fe.Add(field, "needs a named group (?P<weight>…)")
	}
}

// StationState is what a station's devices are doing now: served by GET
// /api/v1/stations/{id} and pushed on /ws/station/{id} on every change.
// A device the station does not have is nil.
type StationState struct {
	StationID string        `json:"station_id"`
	Scanner   *ScannerState `json:"scanner"`
	Scale     *ScaleState   `json:"scale"`
	Printer   *PrinterState `json:"printer"`
	// Pack is the station's pack session: who is signed in, the order on
	// the bench and where its packing is.
	Pack *PackSession `json:"pack,omitempty"`
}

// DeviceState is whether a device is connected: Online with the time it
// came online, or offline with why and since when.
type DeviceState struct {
	Device string    `json:"device"` // the configured port or printer URI
	Online bool      `json:"online"`
	Error  string    `json:"error,omitempty"`
	Since  time.Time `json:"since"`
}

// ScannerState is a scanner's connection and the last barcode it read.
type ScannerState struct {
	DeviceState
	LastScan *StationScan `json:"last_scan"`
}

// StationScan is one barcode read at a station.
type StationScan struct {
	Data      string    `json:"data"`                // the barcode, GS (0x1D) separators kept
	Symbology string    `json:"symbology,omitempty"` // AIM identifier such as "]C1"
	Time      time.Time `json:"time"`
}

// ScaleState is a scale's connection and its latest reading.
type ScaleState struct {
	DeviceState
	WeightG float64  `json:"weight_g"` // 0 when the flags say there is no weight
	Stable  bool     `json:"stable"`   // a settled weight that can be used
	Flags   []string `json:"flags"`    // stable, motion, under_zero, over_capacity, error, net…
	Message string   `json:"message,omitempty"`
}

// PrinterState is a printer's status as it last answered and the jobs
// waiting for it.
type PrinterState struct {
	DeviceState
	State    string   `json:"state"`    // "ready", "printing", "unknown", "offline", or the problems
	Ready    bool     `json:"ready"`    // the printer can take a job now
	Problems []string `json:"problems"` // what stops printing: "paper out", "head open"…
	Queued   int      `json:"queued"`   // jobs waiting to be sent
}

// PrintStatus is where a print job is in its life.
type PrintStatus string

// Print job states. A job is queued when written; it is sending while the
// printer is handed its bytes; it ends printed (the printer confirmed it has
// the whole job), failed (it cannot be sent without risking a second label,
// or it was interrupted mid-send: a person checks the printer and reprints)
// or cancelled (before it was sent).
const (
	PrintQueued    PrintStatus = "queued"
	PrintSending   PrintStatus = "sending"
	PrintPrinted   PrintStatus = "printed"
	PrintFailed    PrintStatus = "failed"
	PrintCancelled PrintStatus = "cancelled"
)

// Print job kinds.
const (
	PrintKindTest     = "test"
	PrintKindShipping = "shipping"
)

// Done reports whether a job in state s will not be sent again.
func (s PrintStatus) Done() bool {
	return s == PrintPrinted || s == PrintFailed || s == PrintCancelled
}

// PrintJob is one label for one station's printer. It is written to the
// store before it is sent and keeps every attempt, so a job is never lost
// and, for one request id, never printed twice.
type PrintJob struct {
	ID        string      `json:"id"`
	StationID string      `json:"station_id"`
	Kind      string      `json:"kind"`
	RequestID string      `json:"request_id,omitempty"`
	ZPL       string      `json:"zpl"`
	Status    PrintStatus `json:"status"`
	Attempts  int         `json:"attempts"`
	LastError string      `json:"last_error,omitempty"`
	CreatedAt time.Time   `json:"created_at"`
	UpdatedAt time.Time   `json:"updated_at"`
	PrintedAt *time.Time  `json:"printed_at,omitempty"`
	ReprintOf string      `json:"reprint_of,omitempty"`
}

// Validate checks a job as it is enqueued.
func (j *PrintJob) Validate() error {
	var fe FieldErrors
	checkCode(&fe, "station_id", j.StationID)
	checkCode(&fe, "kind", j.Kind)
	checkRequestID(&fe, "request_id", j.RequestID)
	switch {
	case j.ZPL == "":
		fe.Add("zpl", "is required")
	case len(j.ZPL) > MaxLabelBytes:
		fe.Add("zpl", "is longer than %d bytes", MaxLabelBytes)
	}
	return fe.Err("The print job is not valid.")
}

func checkRequestID(fe *FieldErrors, field, v string) {
	if len(v) > MaxRequestID {
		fe.Add(field, "is longer than %d bytes", MaxRequestID)
		return
	}
	for _, r := range v {
		if r <= ' ' || r == 0x7f {
			fe.Add(field, "must not contain spaces or control characters")
			return
		}
	}
}

// ValidateRequestID checks a client's idempotency key (a request id or an
// Idempotency-Key header): at most MaxRequestID bytes without spaces or
// control characters; "" means none.
func ValidateRequestID(field, v string) error {
	var fe FieldErrors
	checkRequestID(&fe, field, v)
	return fe.Err("The request id is not valid.")
}

// PrintJobFilter selects print jobs to list, newest first. The zero value
// lists every job of every station.
type PrintJobFilter struct {
	StationID string      // "" for every station
	Status    PrintStatus // "" for every state
	After     string      // list jobs older than this job id
	Limit     int         // 0 for the default page size
}

// StationService keeps the pack stations' configuration.
type StationService interface {
	// CreateStation adds a station. EINVALID for bad fields, ECONFLICT when
	// the id is taken or another station uses the scanner or scale port.
	CreateStation(ctx context.Context, s *Station) error
	// UpdateStation replaces a station's name and devices and returns it
	// as stored. EINVALID, ENOTFOUND, ECONFLICT as for CreateStation.
	UpdateStation(ctx context.Context, s *Station) (*Station, error)
	// Station returns one station; ENOTFOUND.
	Station(ctx context.Context, id string) (*Station, error)
	// Stations lists stations in id order after the given id.
	Stations(ctx context.Context, after string, limit int) ([]*Station, error)
}

// PrintQueue is the durable print queue. A job is written before it is
// sent; the sender marks it sending, then printed only after the printer
// confirmed it, so a crash can hold a job for a person but never print it
// twice.
type PrintQueue interface {
	// EnqueuePrint stores a new queued job for the station's printer. It is
	// idempotent on RequestID (per station): the same request again returns
	// the job it created and created=false, never a second job. EINVALID,
	// ENOTFOUND for an unknown station, ECONFLICT when the request id was
	// used for a job of another kind.
	EnqueuePrint(ctx context.Context, job *PrintJob) (j *PrintJob, created bool, err error)
	// Reprint queues a copy of a finished job as a new job (ReprintOf names
	// the original), idempotently on requestID as for EnqueuePrint.
	// ENOTFOUND; ECONFLICT while the original is still queued or sending.
	Reprint(ctx context.Context, jobID, requestID string) (j *PrintJob, created bool, err error)
	// CancelPrint cancels a queued job; ENOTFOUND, ECONFLICT once it is
	// sending or done.
	CancelPrint(ctx context.Context, jobID string) (*PrintJob, error)
	// PrintJob returns one job; ENOTFOUND.
	PrintJob(ctx context.Context, id string) (*PrintJob, error)
	// PrintJobs lists jobs matching the filter, newest first. EINVALID for
	// an unknown status.
	PrintJobs(ctx context.Context, f PrintJobFilter) ([]*PrintJob, error)
	// PendingPrints returns the station's queued jobs, oldest first: the
	// order they are sent in.
	PendingPrints(ctx context.Context, stationID string) ([]*PrintJob, error)

	// MarkPrintSending records that the job's bytes are about to go to the
	// printer (attempts+1). ECONFLICT unless the job is queued.
	MarkPrintSending(ctx context.Context, jobID string) (*PrintJob, error)
	// MarkPrintRetry records a failed attempt that handed the printer
	// nothing, so the job goes back to (or stays) queued with the error.
	// A queued job counts an attempt here; a sending one already did.
	// ECONFLICT once the job is done.
	MarkPrintRetry(ctx context.Context, jobID, reason string) (*PrintJob, error)
	// MarkPrinted records that the printer confirmed the whole job.
	// ECONFLICT when the job is already printed or failed: a job is marked
	// printed once.
	MarkPrinted(ctx context.Context, jobID string) (*PrintJob, error)
	// MarkPrintFailed holds a job for a person: it may or may not have
	// printed, so it is never sent again by itself. ECONFLICT once done.
	MarkPrintFailed(ctx context.Context, jobID, reason string) (*PrintJob, error)
	// FailInterrupted marks failed every job of the station left sending by
	// a process that stopped mid-send, and returns them.
	FailInterrupted(ctx context.Context, stationID string) ([]*PrintJob, error)
}
