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
//   - The outcome of a print under way when the runtime stops is still
//     written, with a context of its own (10 s); if even that fails, the
//     job stays sending and the next start holds it as interrupted.
package station
