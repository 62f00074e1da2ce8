package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A spec that passed only on a retry is listed as flaky with its failed attempts, a failed
// one fails the run, and the suite's own entries and the specs the focus left out are not rows.
func TestTableListsRetriedSpecsAsFlakyAndFailsOnAFailure(t *testing.T) {
	report := `<testsuites><testsuite>
<testcase name="[BeforeSuite]" time="1" status="passed"></testcase>
<testcase name="[It] a passes" time="2" status="passed"></testcase>
<testcase name="[It] b flakes" time="3" status="passed"><system-err>Attempt #1 Failed.  Retrying ↺ @ 12/05/26</system-err></testcase>
<testcase name="[It] c not selected" time="0" status="skipped"><skipped message="skipped"></skipped></testcase>
<testcase name="[It] d fails" time="4" status="failed"><failure message="boom&#xA;more"></failure></testcase>
</testsuite></testsuites>`
	path := filepath.Join(t.TempDir(), "junit.xml")
	if err := os.WriteFile(path, []byte(report), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("go", "run", ".", path).CombinedOutput()
	if code := exitCode(err); code != 1 {
		t.Errorf("exit %d, want 1 (a spec failed):\n%s", code, out)
	}
	for _, want := range []string{
		"| [It] a passes | passed | 2s |  |",
		"| [It] b flakes | flaky | 3s | passed after 1 failed attempt(s) |",
		"| [It] d fails | FAILED | 4s | boom |",
		"1 passed, 1 flaky, 1 failed, 0 skipped",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	for _, unwanted := range []string{"BeforeSuite", "not selected"} {
		if strings.Contains(string(out), unwanted) {
			t.Errorf("table lists %q:\n%s", unwanted, out)
		}
	}
}

func exitCode(err error) int {
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}
