// Command junit prints the table of an e2e.test run from its JUnit reports: one row per spec
// that ran or was skipped by a reason other than the focus, with its result and time, and
// the totals. A spec that passed only on a retry (ginkgo --flake-attempts) is "flaky", with
// its failed attempts' count: a retry never hides a failure from the table. It exits 1 when
// a spec failed.
package main

import (
	"encoding/xml"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"
)

type suites struct {
	Suites []suite `xml:"testsuite"`
}

type suite struct {
	Cases []testcase `xml:"testcase"`
}

type testcase struct {
	Name    string   `xml:"name,attr"`
	Time    float64  `xml:"time,attr"`
	Status  string   `xml:"status,attr"`
	Failure *message `xml:"failure"`
	Error   *message `xml:"error"`
	Skipped *message `xml:"skipped"`
	// SystemErr is the spec's timeline; ginkgo marks each failed attempt that it retried.
	SystemErr string `xml:"system-err"`
}

// retryMark is how ginkgo's timeline shows a failed attempt it retries ("Attempt #1 Failed.
// Retrying").
const retryMark = "Failed.  Retrying"

type message struct {
	Message string `xml:"message,attr"`
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: junit REPORT.xml...")
		os.Exit(2)
	}
	// Each report lists every spec of the suite; a spec counts by its most telling entry in
	// any of them (it ran, or was skipped by itself with a reason), and specs no report ran
	// (left out by the focus or the skips) are not listed.
	byName := map[string]testcase{}
	for _, path := range os.Args[1:] {
		data, err := os.ReadFile(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		var s suites
		if err := xml.Unmarshal(data, &s); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", path, err)
			os.Exit(2)
		}
		for _, su := range s.Suites {
			for _, c := range su.Cases {
				if c.Skipped != nil && strings.TrimSpace(c.Skipped.Message) == "skipped" {
					continue // not selected
				}
				if !strings.HasPrefix(c.Name, "[It] ") {
					continue // the suite's own setup and reports, not specs
				}
				if old, ok := byName[c.Name]; ok && old.Skipped == nil {
					continue // it ran in an earlier report
				}
				byName[c.Name] = c
			}
		}
	}
	var rows []testcase
	for _, c := range byName {
		rows = append(rows, c)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Name < rows[j].Name })
	counts := map[string]int{}
	var total float64
	fmt.Println("| spec | result | time | note |")
	fmt.Println("|---|---|---|---|")
	for _, c := range rows {
		result, note := "passed", ""
		switch {
		case c.Failure != nil || c.Error != nil:
			result = "FAILED"
			m := c.Failure
			if m == nil {
				m = c.Error
			}
			note = firstLine(m.Message)
		case c.Skipped != nil:
			result, note = "skipped", firstLine(c.Skipped.Message)
		case strings.Contains(c.SystemErr, retryMark):
			result = "flaky"
			note = fmt.Sprintf("passed after %d failed attempt(s)", strings.Count(c.SystemErr, retryMark))
		}
		counts[result]++
		total += c.Time
		fmt.Printf("| %s | %s | %s | %s |\n", c.Name, result, (time.Duration(c.Time * float64(time.Second))).Round(100*time.Millisecond), note)
	}
	fmt.Printf("%d passed, %d flaky, %d failed, %d skipped (spec time %s)\n", counts["passed"], counts["flaky"], counts["FAILED"], counts["skipped"], time.Duration(total*float64(time.Second)).Round(time.Second))
	if counts["FAILED"] > 0 {
		os.Exit(1)
	}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > 160 {
		s = s[:160] + "..."
	}
	return strings.ReplaceAll(s, "|", "/")
}
