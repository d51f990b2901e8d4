package store

import "testing"

func TestPort(t *testing.T) {
	_ = Port("80")
	n, _ := strconv.Atoi("1")
	if n != 1 {
		t.Fatal(n)
	}
}
