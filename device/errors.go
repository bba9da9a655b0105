package device

import (
	"errors"
	"fmt"

	"github.com/pickwave/pickwave"
)

// Framing and parsing errors.
var (
	// ErrFrameTooLong is reported when a device sends more than the
	// configured maximum without a terminator. The reader drops the bytes
	// and resynchronises at the next terminator.
	ErrFrameTooLong = errors.New("frame too long")

	// ErrNotWeight is returned by a scale parser for a well-formed reply
	// that carries no weight, such as an MT-SICS "Z A" acknowledgement.
	ErrNotWeight = errors.New("reply carries no weight")
)

// Device errors.
var (
	// ErrOffline is returned by a command (Zero, Tare) sent to a device
	// that is not connected.
	ErrOffline = errors.New("device offline")

	// ErrNoReply is returned when a device does not answer a request in
	// time.
	ErrNoReply = errors.New("no reply from device")

	// ErrUnsupported is returned for a command the protocol or transport
	// does not have, such as tare on a HID scale.
	ErrUnsupported = errors.New("not supported by this device")

	// ErrNotEvdev is returned by GrabInput for a file that is not a Linux
	// evdev input device.
	ErrNotEvdev = errors.New("not an evdev input device")
)

// Printer errors, found in a *PrintError.
var (
	// ErrPrinterNotReady means the printer reported a condition (paper
	// out, head open, paused...) before the job was sent; nothing was sent.
	ErrPrinterNotReady = errors.New("printer not ready")

	// ErrHeldAtPrinter means the printer took the job and then reported a
	// condition that stops it printing: the job is inside the printer and
	// must not be sent again.
	ErrHeldAtPrinter = errors.New("job held at printer")

	// ErrUnconfirmed means the job was written but the printer did not
	// confirm it received it; sending it again could print it twice.
	ErrUnconfirmed = errors.New("job sent but not confirmed by printer")
)

// ReplyError is a device's refusal of a command, such as MT-SICS "ES"
// (syntax error), "Z I" (zero not executable) or NCI "?".
type ReplyError struct {
	Reply  string // the reply as received, e.g. "Z I"
	Reason string // what the protocol says it means
}

// Error implements the error interface.
func (e *ReplyError) Error() string {
	return fmt.Sprintf("device replied %q: %s", e.Reply, e.Reason)
}

// unavailable wraps err so that pickwave.ErrorCode reports EUNAVAILABLE
// while errors.Is still sees err.
func unavailable(err error, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return &unavailableError{msg: msg, err: err}
}

type unavailableError struct {
	msg string
	err error
}

func (e *unavailableError) Error() string { return e.msg + ": " + e.err.Error() }

func (e *unavailableError) Unwrap() []error {
	return []error{e.err, &pickwave.Error{Code: pickwave.EUNAVAILABLE, Message: e.msg}}
}

// PrintError is returned by Printer.Print when a job did not complete. Sent
// says how many bytes of the job the transport accepted: zero means nothing
// of the job left this process and it can be sent again without risk of a
// second label (see Retryable). Its error code is EUNAVAILABLE.
type PrintError struct {
	Printer string         // the printer's URI
	Stage   string         // "connect", "status", "write" or "confirm"
	Sent    int            // bytes of the job accepted by the transport
	Total   int            // bytes in the job
	Status  *PrinterStatus // the printer's status when it refused or held the job
	Err     error
}

// Error implements the error interface.
func (e *PrintError) Error() string {
	s := fmt.Sprintf("print to %s: %s: %v (sent %d of %d bytes)", e.Printer, e.Stage, e.Err, e.Sent, e.Total)
	if e.Status != nil && e.Status.Known {
		s += "; printer: " + e.Status.State()
	}
	return s
}

// Unwrap returns the cause and an EUNAVAILABLE application error.
func (e *PrintError) Unwrap() []error {
	return []error{e.Err, &pickwave.Error{Code: pickwave.EUNAVAILABLE, Message: "printer unavailable"}}
}

// Retryable reports whether err is a failed print that handed no byte of
// the job to the printer, so sending it again cannot print a duplicate. A
// print queue retries these with a Backoff and holds every other failure
// for a person to look at.
func Retryable(err error) bool {
	var pe *PrintError
	return errors.As(err, &pe) && pe.Sent == 0
}
