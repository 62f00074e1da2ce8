package armemu

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// RouteLimitErrorCode is the error code armemu answers with when a write would put more routes
// in a table than its limit. The recorded wire reference does not list Azure's answer for this
// case; the code and message follow the shape of Azure's other limit errors (400, error.code,
// a message naming the limit) so that a client sees a non-retriable 400.
const RouteLimitErrorCode = "RouteTableRoutesLimitExceeded"

// armError is an answer that is not a success: status plus Azure's error body.
type armError struct {
	status  int
	body    wireError
	headers http.Header
}

func (e *armError) Error() string {
	return fmt.Sprintf("%d %s: %s", e.status, e.body.Code, e.body.Message)
}

func newError(status int, code, format string, args ...any) *armError {
	return &armError{status: status, body: wireError{Code: code, Message: fmt.Sprintf(format, args...)}}
}

func errTableNotFound(group, table string) *armError {
	return newError(http.StatusNotFound, "ResourceNotFound",
		"The Resource 'Microsoft.Network/routeTables/%s' under resource group '%s' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix", table, group)
}

func errRouteNotFound(group, table, route string) *armError {
	return newError(http.StatusNotFound, "NotFound",
		"Resource /subscriptions/.../resourceGroups/%s/providers/Microsoft.Network/routeTables/%s/routes/%s not found.", group, table, route)
}

func errGroupNotFound(group string) *armError {
	return newError(http.StatusNotFound, "ResourceGroupNotFound", "Resource group '%s' could not be found.", group)
}

// errPrecondition is Azure's answer to a write whose If-Match names an older etag.
func errPrecondition(sent, current, resourceID string) *armError {
	e := newError(http.StatusPreconditionFailed, "PreconditionFailed", "Precondition failed.")
	e.body.Details = []wireError{{
		Code: "PreconditionFailedEtagMismatch",
		Message: fmt.Sprintf("Etag provided in if-match header %s does not match etag %s of resource %s in NRP data store.",
			sent, current, resourceID),
	}}
	return e
}

func errRouteLimit(resourceID string, routes, limit int) *armError {
	return newError(http.StatusBadRequest, RouteLimitErrorCode,
		"Route table %s cannot have %d routes: the limit is %d routes per route table.", resourceID, routes, limit)
}

func writeError(w http.ResponseWriter, e *armError) {
	for k, v := range e.headers {
		w.Header()[k] = v
	}
	w.Header().Set("x-ms-failure-cause", "gateway")
	writeJSON(w, e.status, wireErrorBody{Error: e.body})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
