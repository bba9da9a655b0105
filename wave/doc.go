// Package wave plans picking waves: it chooses which orders go into a wave
// (Select), puts them on carts (batching) and gives every cart the walk
// through the aisles that visits all its locations (routing); it also judges
// a handheld's scans against the pick task in hand (Judge). It is pure
// logic: no clock, no randomness it did not get a seed for, no I/O. The same
// layout, orders, options and seed give the same plan, byte for byte.
//
// Its inputs and outputs are the root package's types, so a plan needs no
// translation between planner, store and API: Plan takes a pickwave.Layout
// and Demands (an order as planning sees it: lines at their allocated
// locations) and returns a pickwave.Plan; Select and OptionsFor read a
// pickwave.WaveTemplate. Only what is the planner's own (Options, Router,
// Route, Position, Judge's facts and rules) is declared here.
//
// # The floor
//
// A pickwave.Layout is a rectangle of parallel aisles. Aisle i (1-based)
// runs along x = (i-1)·pitch; bay j (1-based) of every aisle is centred at
// y = (j-0.5)·width. The front cross aisle is y = 0 and the back one
// y = bays·width; both sides of an aisle and every level of a bay share one
// point, so a Position is just (aisle, bay). With CrossAisles = n > 2 the
// bays are cut into n-1 blocks by middle cross aisles at
// y = floor(k·bays/(n-1))·width, k = 1..n-2; cross aisles take no length of
// their own. The depot (where carts start and end) sits on the front or back
// cross aisle at one aisle's x. docs/layout.md has the JSON form.
//
// The walk between two points is along the aisle when they share it, |y1-y2|;
// otherwise |x1-x2| plus the cheaper way through one cross aisle: nothing
// extra when a cross aisle lies between the two y's, else down to the near
// end of their block and back up, whichever end is shorter. Distance and
// Walk compute it, so anyone holding a plan can recompute it.
//
// # Routing
//
// Router.Route gives the best route known for a cart:
//
//   - One block: the exact optimum by the dynamic programme of Ratliff &
//     Rosenthal (1983). Aisles are added from left to right; a partial tour
//     is summed up by the degree parity of the front and back node of the
//     current aisle and whether they are connected, seven classes in all.
//     Each aisle can be covered six ways (traverse, double traverse, return
//     from the front, from the back, both returns leaving out the largest gap
//     between picks, nothing) and each step to the next aisle five (no arcs,
//     one on each cross aisle, two on either, two on both). That is O(aisles)
//     work, about half a microsecond for a cart on a 20-aisle site. The arcs
//     chosen form an Eulerian multigraph; an Euler circuit from the depot,
//     reduced to first visits, is the route. The DP is checked against Held–
//     Karp brute force in the tests.
//   - Several blocks: no linear exact method is known. The route is the best
//     of 2-opt plus Or-opt local search from the S-shape, largest-gap and
//     nearest-neighbour orders on the shortest-walk distance matrix, then
//     iterated local search with double-bridge kicks (a count fixed by the
//     cart's size, seeded from the cart itself). The result is never longer
//     than S-shape: both start from the same order and the S-shape walk is
//     compared at the end.
//
// Router.SShape and Router.LargestGap are the textbook policies, kept as
// baselines; their lengths are those of a picker following the rule, who
// walks whole aisles (see docs/layout.md for the exact rules on several
// blocks).
//
// # Batching
//
// An order goes in one tote, or several when it does not fit one: its lines
// are packed first fit by decreasing unit volume, a line split across totes
// if need be, against the tote's unit count and inner volume times its fill
// factor. With zone picking each zone's part of an order is packed and
// batched on its own, so every cart stays in one zone. A cart holds
// TotesPerCart totes; its cost is its routed length, exact on one block.
//
// Plan builds carts by seeding: the unit reaching farthest from the
// depot seeds a cart and the unit that lengthens the cart's exact route
// least joins, among the units related to its members, until the cart is
// full. Local search then moves a unit to, or swaps it with a unit of, the
// cart of a related unit while the total walk drops; two simulated-
// annealing chains (moves and swaps, temperature falling from 3 % to 0.2 %
// of a mean cart) run side by side on the two cores, and the better result,
// polished by local search, is the plan. "Related" means sharing aisles and
// reaching about as far, a cheap estimate used only to choose candidates;
// every decision compares exact route lengths. On one block of at most 64
// bays a cart is kept as one bit word per aisle so an evaluation patches the
// words a move touches and runs the DP on them, a few hundred nanoseconds.
//
// The search is budgeted in route evaluations derived from the number of
// units (600 per unit up to 300 units, fewer per unit beyond), never in
// time, which is what makes it deterministic. Options.Effort scales it.
//
// Every plan carries baselines for judging it: the same orders on carts
// filled first come first served (by CreatedAt), routed like the plan and
// walked S-shape, and every order on a trip of its own.
//
// # Caveats
//
//   - The model knows aisles, bays and cross aisles only: no one-way aisles,
//     no blocked aisles, no aisle width (a picker reaches both sides from the
//     centre line), no vertical travel, no congestion between pickers.
//   - Middle cross aisles have no width; blocks differ by at most one bay when
//     the bays do not divide evenly.
//   - On several blocks routes are heuristic (within a fraction of a percent
//     of the best known in the tests, never worse than S-shape), and the
//     batching search judges carts by the shorter of their S-shape and
//     largest-gap walks, because the heuristic is too slow to call a hundred
//     thousand times; its budget is cut to keep planning time similar.
//   - The search is a heuristic: the same budget can land a few percent apart
//     for different seeds. A bigger Effort buys a little, not much.
//   - An order needing more totes than a cart holds, or with a unit bigger
//     than a tote, fails Plan with an EINVALID error naming it; Select
//     leaves such orders out instead.
//   - The batching search uses a fixed number of goroutines (two) whatever
//     the machine, so a plan takes about twice as long on one core.
package wave
