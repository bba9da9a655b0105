//go:build race

package wave

// raceEnabled trims the heaviest measurements under the race detector,
// which slows this CPU-bound code about tenfold; the assertions stay.
const raceEnabled = true
