package azure

import (
	"net/http"
	"strconv"
	"time"
)

// retryAfter reads ARM's Retry-After (whole seconds); the SDK has already waited it out for its
// own retries, this is for the controller once the SDK gives up. Missing means a short wait.
func retryAfter(resp *http.Response) time.Duration {
	if resp != nil {
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s >= 0 {
			return time.Duration(s) * time.Second
		}
	}
	return 5 * time.Second
}
