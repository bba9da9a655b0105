// Package device talks to pack-station hardware: barcode scanners, scales
// and label printers. It turns their bytes into Scans, Readings and
// PrinterStatus values, keeps each device connected across unplugging,
// and ships simulators that speak the same bytes so the whole station
// runs without hardware (pickwave serve --demo) and tests exercise the
// real code path.
//
// The package knows nothing of orders or stations. store and server
// consume its API: a Scanner or Scale calls back with what it reads and
// with online/offline changes; a Printer takes ZPL and says precisely
// whether the job reached the printer, so the durable print queue built
// on it marks a job printed only after a confirmed send.
//
// # Devices and protocols
//
// Scanners (Scanner, ScannerConfig):
//
//   - Serial: RS-232 or USB CDC-ACM ("USB COM") through go.bug.st/serial,
//     any baud and parity. Barcodes end with a suffix: CR (default; a
//     following LF is ignored), LF, CR LF, or any single byte. An optional
//     prefix is stripped, an AIM symbology identifier ("]C1", "]d2", …) is
//     recognised and passed on in Scan.Symbology, and GS (0x1D, the GS1
//     FNC1 separator) is kept in Scan.Data. A repeat of the same code
//     within DedupWindow is dropped.
//   - USB HID keyboard wedge: /dev/input/event* through evdev, grabbed
//     exclusively (EVIOCGRAB) so scans do not type into the desktop. Key
//     codes are mapped with a US layout, Shift and Caps Lock; GS arrives
//     as Ctrl+] or as Alt held while typing 029 or 0029 on the keypad.
//     The reader takes the kernel's struct input_event bytes
//     (InputEventSize) from any io.Reader.
//
// Scales (Scale, ScaleConfig), each with a pure parser that has a fuzz
// target:
//
//   - MT-SICS (Mettler Toledo): ParseMTSICS. Polled with SI every
//     PollInterval, or streamed with SIR (Stream). Zero Z, tare T, clear
//     tare TAC, with their replies and refusals (Z I, T +, ES, ET, EL…).
//   - NCI / Weigh-Tronix SCP-01: ParseNCI. Polled with W<CR>; status bytes
//     for motion, zero, under and over capacity and the error bits; zero Z.
//   - Toledo 8217: ParseToledo. Polled with W; STX weight CR or STX ?
//     status CR; zero, tare and clear tare without replies.
//   - Toledo continuous output: ParseToledoContinuous. STX, three status
//     words, weight, optional tare and checksum, streamed.
//   - Any text line: ASCIIParser, a regexp with a (?P<weight>…) group and
//     optional unit and flag groups; CASPattern by default.
//   - USB HID POS scales (Dymo, Stamps.com…): ParseHIDReport, 6-byte
//     report 3 read from /dev/hidraw*; zero by output report 2.
//
// Every reading becomes a Reading in grams with Flags: stable, motion,
// under zero, over capacity, error (with a Message), net, at zero, no
// weight. Readings that say nothing about stability (bare text lines) get
// it from a StableDetector: N readings within a tolerance over a window.
//
// Printers (Printer, OpenPrinter): Zebra-style ZPL over raw TCP
// (tcp://host:9100), a serial port (serial:///dev/ttyUSB0?baud=9600) or a
// device file (file:///dev/usb/lp0). On TCP, Print asks ~HS before
// sending (refusing, with nothing sent, when paper is out or the head is
// open), writes the job, then asks ~HS again: the reply proves the printer
// read the whole job. A printer silent on ~HS, as Zebra printers are with
// media out or head open, is asked ~HQES. A failed Print is a *PrintError
// whose Sent field says how much of the job left; Retryable reports when
// nothing did and a retry cannot print twice. Status reports "unknown"
// where the transport cannot ask (a plain file; serial unless
// status=on). Backoff spaces retries.
//
// # Opening devices
//
// Readers need only an io.ReadWriteCloser from an Opener. The product
// opens serial ports with go.bug.st/serial and device files with os; tests
// and the demo open the slave side of a pseudo-terminal with the very
// same go.bug.st/serial call. A device is bound by path or by
// "usb:VID:PID[:SERIAL]", which Resolve and ResolveClass look up in sysfs
// on every open, so it is found again after it re-enumerates under a new
// name (ttyACM0 coming back as ttyACM1). ListPorts lists serial ports with
// their USB IDs and the kind recognised from a table of scanner, scale and
// printer makers (Identify); it gives the "usb:…" binding to configure.
//
// # Hot-plug
//
// A Supervisor owns one device. It opens it, reports online, and runs the
// reader. When the device goes away the read fails (go.bug.st/serial
// returns PortClosed; evdev and hidraw return ENODEV or EOF); the
// Supervisor closes it, reports offline with the reason, and reopens with
// a Backoff of 100 ms doubling to 1 s, so a device is back in service at
// most about a second after it returns (measured on a pty: about 0.1 s in
// the common case, 0.6 s after a long absence). Run returns when its
// context ends, with every goroutine it started finished and every file it
// opened closed; the tests count goroutines and /proc/self/fd across many
// reconnects. A panic in a reader is recovered, logged and treated as a
// disconnect.
//
// Each Scale session has two goroutines: the reader, which frames and
// parses, and a control loop, the only writer, which polls, sends Zero and
// Tare, and matches replies to requests with one request outstanding at a
// time. Callbacks (OnScan, OnReading, OnState, OnError) run on those
// goroutines and must not block.
//
// # Framing and bad input
//
// Framing is incremental and pure (splitters fed any chunking), separate
// from parsing. Every frame buffer is bounded: a device that sends a
// megabyte without a terminator costs at most MaxLen bytes, produces one
// ErrFrameTooLong, and the reader resynchronises at the next terminator.
// Marker protocols (Toledo STX…CR, NCI LF…ETX) skip bytes outside frames.
// Parity bits are stripped for the 7E1 protocols, since neither a pty nor
// every USB bridge strips them.
//
// # Simulators
//
// PtyDevice is a serial device on a pseudo-terminal reachable at a stable
// symlink; Unplug closes the pair and removes the link, Replug makes a new
// pair (a new /dev/pts/N) behind the same link, as udev's by-id links
// behave. ScannerSim sends barcodes with any suffix and prefix. ScaleSim
// answers MT-SICS, NCI and Toledo 8217 polls and commands or streams Toledo
// continuous and CAS lines, from a weight, motion and over/under
// conditions set by its methods. PrinterSim listens on a loopback port,
// keeps each ^XA…^XZ label, answers ~HS and ~HQES, and can go offline
// (connection refused), be unplugged (connections cut), run out of paper
// or ribbon, open its head or pause; labels sent while it cannot print are
// held and come out when the fault clears.
//
// # Caveats
//
//   - go.bug.st/serial: a read timeout returns (0, nil), not an error;
//     readers here use no timeout and treat 100 empty reads as
//     io.ErrNoProgress. The library has no XON/XOFF or RTS/CTS: a serial
//     printer should use DTR handshaking, and its XON/XOFF bytes are
//     dropped from replies. Mode.InitialStatusBits is never set, since it
//     makes opening a pty or a bridge without modem lines fail.
//   - ListPorts (the enumerator) opens every /dev/ttyS* and resets its
//     settings; call it on request, never on a timer. Resolve reads sysfs
//     only.
//   - Two identical devices without USB serial numbers cannot be told
//     apart by usb:VID:PID (Resolve refuses); bind them by
//     /dev/serial/by-path.
//   - As root, a second open of a serial port succeeds despite TIOCEXCL;
//     as a normal user it fails with PortBusy, and the Supervisor keeps
//     retrying.
//   - Keyboard-wedge scanners need the US layout configured in the scanner
//     (the decoder knows no other); GS1 data is safer in serial or HID-POS
//     mode. NumLock state is unknown to a grabbing reader, so keypad keys
//     always give digits. Auto-repeat events are ignored.
//   - struct input_event is 24 bytes on 64-bit kernels and 16 on 32-bit
//     ones; InputEventSize follows the build, so a 32-bit binary on a
//     64-bit kernel would misread events.
//   - A HID scale's weight is unsigned; below zero arrives as a status.
//     Reports are read 6 bytes at a time: scales with longer reports are
//     not supported. The first report after opening may be stale.
//   - NCI has no tare in SCP-01 and HID POS has none at all: Tare returns
//     ErrUnsupported. Toledo scales do not acknowledge commands, so Zero
//     returns once the byte is written.
//   - Toledo continuous frames of 11, 12, 17, 18 and 19 bytes (short, with
//     tare, with a space before the tare, each with or without checksum)
//     are accepted; ScaleConfig.Checksum must match the scale, since a
//     checksum byte cannot be told from the next frame's STX.
//   - On TCP, a ~HS reply after the job confirms receipt, not printing: a
//     label can still jam. ErrUnconfirmed and ErrHeldAtPrinter mean the job
//     is, or may be, inside the printer; sending it again risks a
//     duplicate, so a queue holds it for a person.
//   - Serial scanners without a suffix (framed only by silence) are not
//     supported.
package device
