// Command gencsv writes a deterministic contacts CSV (or a prefix-rules
// CSV with -rules) to stdout for tests and benchmarks:
//
//	go run ./store/storetest/gencsv -n 500000 > contacts.csv
package main

import (
	"flag"
	"fmt"
	"os"

	"cidproxy/store/storetest"
)

func main() {
	n := flag.Int("n", 1000, "rows")
	seed := flag.Uint64("seed", 1, "seed")
	rules := flag.Bool("rules", false, "write prefix rules instead of contacts")
	flag.Parse()
	var err error
	if *rules {
		err = storetest.WriteRulesCSV(os.Stdout, *n)
	} else {
		err = storetest.WriteContactsCSV(os.Stdout, *n, *seed)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gencsv:", err)
		os.Exit(1)
	}
}
