// Package station is the pack-station runtime: for every stored station it
// runs the devices (scanner, scale, label printer), keeps the station's
// live state, works off its print queue, and pushes every change to the
// station's websocket clients. The server consumes it through a small
// interface of its own (State, Reload, Kick, Watch) and stays transport;
// the store keeps the configuration and the queue (Store).
//
// # Goroutines and who owns them
//
// Runtime.Run owns everything and returns only when all of it has ended:
//
//   - one hub goroutine, which alone holds the set of websocket clients
//     (gorilla/websocket's chat example, made stoppable): it starts a read
//     pump and a write pump per client, the connection's only reader and
//     only writer, and waits for them when it stops;
//   - per station, one goroutine per device (device.Scanner.Run,
//     device.Scale.Run, the print worker), each started by goDevice, whose
//     deviceRun cancels it and waits for it on Reload and at shutdown.
//
// Every one of them recovers a panic and logs it with its stack, as
// device.Supervisor does, so a bug met by one device, one print job or one
// client cannot end the process: a device or print worker is started
// again after DeviceBackoff; the hub and pumps go on (a pump's connection
// is closed). The print worker also catches a panic in each call to the
// printer, so it can give that job the right outcome (see below) and go
// on with the next.
//
// # Labels printed once
//
// A job is in the store before the worker sees it; it is marked sending
// before its first byte leaves and printed only after the printer
// confirmed it. A failure that handed the printer nothing puts the job
// back in the queue; any other (an unconfirmed send, a send cut short, a
// printer that panicked mid-send) holds it as failed for a person, since
// sending it again could print a second label. A job found sending when a
// worker starts (the process stopped, or the worker panicked, mid-send) is
// held the same way. print_worker.go lists the rules.
//
// # Packing
//
// pack.go runs each station's pack bench on the store's rules
// (pickwave.PackStore): the scanner's reads and the API's typed scans
// are judged and committed before they are answered; the scale's stable
// readings (only stable ones) are checked against the open package's
// expected weight; a package that passes, is overridden, or is packed at
// a station without a scale is labelled at once: an SSCC and a tracking
// number (each committed before use, so never issued twice), the label
// rendered by labels.Shipping (or the carrier's own ZPL), and the package
// recorded with its print job in one transaction, then the print worker
// is woken. One mutex per station serialises the pack steps; the scale's
// reader never waits for it, it skips a reading while a step is under
// way. The session is part of the station's state (state.pack), and
// verdicts and refusals are pushed as pack_verdict and pack_error
// messages.
//
// # State and messages
//
// Each station has one mutex over its state and its message sequence;
// device callbacks change the state under it and hand the hub the new
// message without blocking (a full hub channel drops the message and
// logs). A client gets the state on connecting and then only messages
// with a higher sequence, so it never sees a change twice or out of
// order. The messages are in docs/protocol.md.
//
// # Caveats
//
//   - Reload stops and starts only the devices whose configuration
//     changed; a printer URI that differs only in a parameter restarts the
//     print worker, which is cheap (it holds no connection between jobs).
//   - A slow websocket client (64 messages behind) is dropped, not waited
//     for; the browser reconnects and gets the current state.
//   - The hub's channel holds 1,024 messages; a hub that far behind is
//     stuck, and messages beyond are dropped with a warning rather than
//     blocking a device's reader.
//   - A panic is recovered, not fixed: a device that panics on every
//     session is restarted with backoff forever, and each panic logs a
//     stack; the log is where to look.
//   - A crash after the carrier numbered a package and before PackLabel
//     committed it loses that number (the package is numbered again when
//     weighed again), and a carrier that books over HTTP may then hold a
//     shipment nobody prints: void it at the carrier.
//   - The outcome of a print under way when the runtime stops is still
//     written, with a context of its own (10 s); if even that fails, the
//     job stays sending and the next start holds it as interrupted.
package station
