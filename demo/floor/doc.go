// Package floor runs a live demo floor: simulated people working a
// running Pickwave server, so that a newcomer's screens move from the
// first minute. `pickwave serve --demo --demo-floor` starts one.
//
// Everyone on the floor is a client of the server, through the contracts
// real people and systems use; nothing reaches into the store:
//
//   - A web shop sends orders at a steady rate (POST /api/v1/orders).
//     An order that comes back backordered is helped by goods receipt:
//     the missing units are received at the SKU's location
//     (POST /api/v1/stock/adjust) and the order allocated again.
//   - A supervisor keeps the floor fed: whenever fewer carts are out than
//     there are pickers plus Config.SpareCarts, a wave of the allocated
//     orders is planned and released (POST /api/v1/waves, .../release),
//     so that a person with a handheld always finds a cart waiting. The
//     supervisor also settles the cycle counts that shorts raise.
//   - Pickers work over the handheld websocket with package handheld's
//     client, as a Zebra handheld does: take a cart, put a tote in each
//     slot, and for each task walk to the location, scan it, scan each
//     unit, scan the tote. They walk at Config.WalkSpeed from bay to bay
//     (the distance comes from the site layout, wave.Distance), take a
//     few seconds per scan, now and then scan the wrong location or item
//     and report a short. A finished cart goes to packing.
//   - Packers work at Config.Station: sign in, scan a finished cart's tote
//     (or a picked order's id, for orders people picked), scan each item,
//     and put the package on the station's scale (Config.Scale, the
//     station's own simulated scale): the station checks the weight and
//     prints the label itself. A packer steps aside while someone else
//     is signed in at the station.
//
// # Time
//
// Everything the people do takes floor time: walking, scanning, packing.
// Config.Speed runs floor time faster than the clock (tests use 20 or
// more); the server and its answers are never sped up. Stats reports what
// was done and the floor minutes it took.
//
// # Caveats
//
//   - The floor's people are users of their own (floor-picker-1...,
//     floor-packer), made on first start through the API; their tokens
//     come from Config.Tokens, so no password is kept anywhere.
//   - Totes are labelled FT-<start>-<n>, new ones for each start: a tote
//     of an earlier run still waiting for packing is never bound again.
//   - Goods receipt makes stock out of thin air, so that the demo never
//     runs dry; a real site receives what arrives at the dock.
package floor
