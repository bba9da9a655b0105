package main

import "testing"

// result is a call's value and error; must(call).of(t) fails the test on
// the error and returns the value, so an API call in a test is one line.
type result[T any] struct {
	v   T
	err error
}

func must[T any](v T, err error) result[T] { return result[T]{v, err} }

func (r result[T]) of(t testing.TB) T {
	t.Helper()
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.v
}
