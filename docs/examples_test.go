package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// curlCommand matches a curl command with its continuation lines.
var curlCommand = regexp.MustCompile(`curl(?:[^\n]*\\\n)*[^\n]*`)

// TestExamples_curlBodiesSayTheirType fails when a curl example of the
// README or docs/ sends a body without a Content-Type: the server refuses
// such a body with 415 (every route takes one media type), so the example
// would not work as written.
func TestExamples_curlBodiesSayTheirType(t *testing.T) {
	files, _ := filepath.Glob("*.md")
	files = append(files, filepath.Join("..", "README.md"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, cmd := range curlCommand.FindAllString(string(data), -1) {
			sendsBody := regexp.MustCompile(`\s(-d|--data(-binary|-raw)?|-T|--upload-file)\s`).MatchString(cmd)
			if sendsBody && !strings.Contains(cmd, "Content-Type") {
				t.Errorf("%s: a curl example sends a body without a Content-Type (the server answers 415):\n%s", f, cmd)
			}
		}
	}
}
