// Package client is the Go client of Pickwave's HTTP API (docs/openapi.yaml):
// the services of the root package, implemented over the network, so code
// written against pickwave.OrderService or pickwave.InventoryService runs
// the same against a store in the process or a server across the floor.
// Integrators, `pickwave loadgen` and the tests use it.
//
//	c := client.New("http://127.0.0.1:8080")
//	if err := c.Login(ctx, "supervisor", "pickwave"); err != nil {
//		return err
//	}
//	o, created, err := c.Orders.CreateOrder(ctx, &pickwave.OrderInput{...})
//	if pickwave.ErrorCode(err) == pickwave.EINVALID {
//		// pickwave.ErrorDetails(err) lists the bad fields
//	}
//
// # Why it is written by hand
//
// It is written by hand in the style of WTF Dial's http package rather than
// generated from the spec with oapi-codegen. The domain types and service
// interfaces already live in the root package and are shared with the store
// and the server: a generated client would bring a second, parallel set of
// types (and conversions between them) for every schema, while this one
// decodes the answers straight into pickwave.Order, pickwave.SKU and the
// rest. Errors come back as domain errors: the JSON error body becomes a
// *pickwave.Error with the same code, message and details, so
// pickwave.ErrorCode(err) is the same on both sides of the wire. The spec
// stays the contract; the tests run this client against a real server.
//
// # What it covers
//
// Every /api/v1 route an integrator needs: login, logout and the session
// (Client.Login, Client.Me, UserService), users, SKUs, barcodes, locations,
// pick faces, reorder points, stock and cycle counts on demand with their
// accuracy (InventoryService), inbound notices by JSON or CSV and the
// receipts waiting for putaway (InboundService), orders including CSV import
// (OrderService), the layout and wave planning (PlanService), waves and
// carts (WaveService), pack stations (StationService), print jobs
// (PrintJobService), barcode parsing (Client.ParseBarcode) and label
// rendering (Client.RenderLabel). The websockets are not here: the handheld
// package is the handheld protocol's client.
//
// These types implement the root interfaces: OrderService,
// InventoryService (with CountService and CountRequestService),
// InboundService, PlanService, WaveService,
// StationService, UserService and EventService. A method of those
// interfaces that has no HTTP route returns a *pickwave.Error with code
// pickwave.EMETHOD ("method_not_allowed") that names the method and what to
// use instead, without a request: WaveService.Task (use CartTasks),
// UserService.LoginBadge (a badge logs in on the handheld socket only),
// UserService.MintToken (the offline `pickwave token` command) and
// EventService.LastSeq (page Events instead). The print queue's interface,
// pickwave.PrintQueue, is not implemented: most of it (marking jobs sent,
// printed, failed) is the station runtime's own bookkeeping with no route,
// so PrintJobService offers the routes that exist instead: TestLabel,
// Reprint, CancelPrint, PrintJob and PrintJobs.
//
// # Caveats
//
//   - Lists return one page, as the interfaces do: pass the last key as
//     after for the next. The server serves at most 1000 items a page.
//   - Every answer is read up to MaxResponseBytes (64 MiB unless set with
//     WithMaxResponseBytes); a larger one is an error, not a huge
//     allocation.
//   - Errors that did not come from the server (a refused connection, a
//     cancelled context, an answer that is not the API's JSON) are not
//     *pickwave.Error values, so pickwave.ErrorCode reports them as
//     EINTERNAL; errors.Is(err, context.Canceled) still finds a
//     cancellation.
//   - A Client is safe for concurrent use; Login and SetToken change the
//     token every later request sends.
package client
