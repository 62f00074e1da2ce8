package armemu_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v7"

	"github.com/dualnet/dualnet/internal/armemu"
	"github.com/dualnet/dualnet/internal/testutil/poll"
)

const (
	sub   = "00000000-0000-0000-0000-000000000001"
	group = "rg"
)

type env struct {
	srv    *armemu.Server
	tables *armnetwork.RouteTablesClient
	routes *armnetwork.RoutesClient
}

func start(t *testing.T, opts armemu.Options) env {
	t.Helper()
	srv, err := armemu.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	srv.AddResourceGroup(sub, group)
	f, err := armnetwork.NewClientFactory(sub, armemu.Credential(), srv.ClientOptions())
	if err != nil {
		t.Fatal(err)
	}
	return env{srv: srv, tables: f.NewRouteTablesClient(), routes: f.NewRoutesClient()}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func route(name, prefix, hop string) *armnetwork.Route {
	return &armnetwork.Route{Name: to.Ptr(name), Properties: &armnetwork.RoutePropertiesFormat{
		AddressPrefix: to.Ptr(prefix), NextHopType: to.Ptr(armnetwork.RouteNextHopTypeVirtualAppliance),
		NextHopIPAddress: to.Ptr(hop)}}
}

func table(routes ...*armnetwork.Route) armnetwork.RouteTable {
	return armnetwork.RouteTable{Location: to.Ptr("westeurope"),
		Properties: &armnetwork.RouteTablePropertiesFormat{Routes: routes}}
}

func put(t *testing.T, e env, rt armnetwork.RouteTable, c context.Context) (armnetwork.RouteTablesClientCreateOrUpdateResponse, error) {
	t.Helper()
	poller, err := e.tables.BeginCreateOrUpdate(c, group, "rt", rt, nil)
	if err != nil {
		return armnetwork.RouteTablesClientCreateOrUpdateResponse{}, err
	}
	return poller.PollUntilDone(c, &runtime.PollUntilDoneOptions{Frequency: time.Second})
}

func responseError(t *testing.T, err error) *azcore.ResponseError {
	t.Helper()
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("error %v is not an azcore.ResponseError", err)
	}
	return re
}

func TestPutNewTableIsALongRunningCreateWithRoutes(t *testing.T) {
	e := start(t, armemu.Options{})
	c := ctx(t)
	var raw *http.Response
	poller, err := e.tables.BeginCreateOrUpdate(policy.WithCaptureResponse(c, &raw), group, "rt",
		table(route("n1____102441024", "10.244.1.0/24", "10.240.0.5")), nil)
	if err != nil {
		t.Fatal(err)
	}
	if raw.StatusCode != http.StatusCreated || raw.Header.Get("Azure-AsyncOperation") == "" {
		t.Errorf("PUT answered %d with Azure-AsyncOperation %q; want 201 and an operation URL", raw.StatusCode, raw.Header.Get("Azure-AsyncOperation"))
	}
	res, err := poller.PollUntilDone(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := *res.Properties.ProvisioningState; got != armnetwork.ProvisioningStateSucceeded {
		t.Errorf("provisioningState after the operation = %s, want Succeeded", got)
	}
	if len(res.Properties.Routes) != 1 || *res.Properties.Routes[0].Properties.NextHopIPAddress != "10.240.0.5" {
		t.Errorf("routes = %+v", res.Properties.Routes)
	}
}

func TestGetTableCarriesWeakEtagThatChangesOnEachWrite(t *testing.T) {
	e := start(t, armemu.Options{})
	c := ctx(t)
	if _, err := put(t, e, table(), c); err != nil {
		t.Fatal(err)
	}
	var raw *http.Response
	first, err := e.tables.Get(policy.WithCaptureResponse(c, &raw), group, "rt", nil)
	if err != nil {
		t.Fatal(err)
	}
	etag := *first.Etag
	if !strings.HasPrefix(etag, `W/"`) || raw.Header.Get("Etag") != etag {
		t.Errorf("etag body %q header %q; want the same weak etag W/\"guid\"", etag, raw.Header.Get("Etag"))
	}
	if first.Properties.ResourceGUID == nil || first.Properties.Routes == nil {
		t.Errorf("table lacks resourceGuid or routes: %+v", first.Properties)
	}
	if _, err := put(t, e, table(route("a", "10.244.1.0/24", "10.240.0.5")), c); err != nil {
		t.Fatal(err)
	}
	second, err := e.tables.Get(c, group, "rt", nil)
	if err != nil {
		t.Fatal(err)
	}
	if *second.Etag == etag {
		t.Errorf("etag %s did not change on a write", etag)
	}
}

func TestPutWithStaleIfMatchFailsWithAzures412(t *testing.T) {
	e := start(t, armemu.Options{})
	c := ctx(t)
	if _, err := put(t, e, table(), c); err != nil {
		t.Fatal(err)
	}
	stale := `W/"11111111-1111-1111-1111-111111111111"`
	c2 := policy.WithHTTPHeader(c, http.Header{"If-Match": {stale}})
	_, err := put(t, e, table(route("a", "10.244.1.0/24", "10.240.0.5")), c2)
	re := responseError(t, err)
	if re.StatusCode != http.StatusPreconditionFailed || re.ErrorCode != "PreconditionFailed" {
		t.Errorf("got %d %s, want 412 PreconditionFailed", re.StatusCode, re.ErrorCode)
	}
	if !strings.Contains(re.Error(), "PreconditionFailedEtagMismatch") || !strings.Contains(re.Error(), "11111111-1111-1111-1111-111111111111") {
		t.Errorf("412 body lacks the etag mismatch detail: %v", re)
	}
	got, _ := e.srv.RouteTable(sub, group, "rt")
	if len(got.Routes) != 0 {
		t.Errorf("a write with a stale etag changed the table: %+v", got.Routes)
	}
}

func TestPutWithCurrentIfMatchSucceeds(t *testing.T) {
	e := start(t, armemu.Options{})
	c := ctx(t)
	if _, err := put(t, e, table(), c); err != nil {
		t.Fatal(err)
	}
	cur, err := e.tables.Get(c, group, "rt", nil)
	if err != nil {
		t.Fatal(err)
	}
	c2 := policy.WithHTTPHeader(c, http.Header{"If-Match": {*cur.Etag}})
	if _, err := put(t, e, table(route("a", "10.244.1.0/24", "10.240.0.5")), c2); err != nil {
		t.Fatalf("PUT with the current etag: %v", err)
	}
}

func TestPutOverRouteLimitIsRejectedWithLimitError(t *testing.T) {
	e := start(t, armemu.Options{RouteLimit: 3})
	c := ctx(t)
	var rs []*armnetwork.Route
	for i := range 4 {
		rs = append(rs, route(fmt.Sprintf("r%d", i), fmt.Sprintf("10.244.%d.0/24", i), "10.240.0.5"))
	}
	_, err := put(t, e, table(rs...), c)
	re := responseError(t, err)
	if re.StatusCode != http.StatusBadRequest || re.ErrorCode != armemu.RouteLimitErrorCode {
		t.Errorf("got %d %s, want 400 %s", re.StatusCode, re.ErrorCode, armemu.RouteLimitErrorCode)
	}
	if _, err := put(t, e, table(rs[:3]...), c); err != nil {
		t.Fatalf("PUT at the limit: %v", err)
	}
	poller, err := e.routes.BeginCreateOrUpdate(c, group, "rt", "r3", *rs[3], nil)
	if err == nil {
		_, err = poller.PollUntilDone(c, nil)
	}
	if re := responseError(t, err); re.ErrorCode != armemu.RouteLimitErrorCode {
		t.Errorf("route PUT over the limit: %s, want %s", re.ErrorCode, armemu.RouteLimitErrorCode)
	}
	if got := e.srv.Stats().LargestTablePut; got != 4 {
		t.Errorf("LargestTablePut = %d, want 4 (the rejected PUT counts)", got)
	}
}

func TestMissingTableAndGroupAnswerAzures404s(t *testing.T) {
	e := start(t, armemu.Options{})
	c := ctx(t)
	_, err := e.tables.Get(c, group, "nope", nil)
	if re := responseError(t, err); re.StatusCode != 404 || re.ErrorCode != "ResourceNotFound" {
		t.Errorf("missing table: %d %s", re.StatusCode, re.ErrorCode)
	}
	_, err = e.tables.NewListPager("no-such-group", nil).NextPage(c)
	if re := responseError(t, err); re.StatusCode != 404 || re.ErrorCode != "ResourceGroupNotFound" {
		t.Errorf("missing group: %d %s", re.StatusCode, re.ErrorCode)
	}
}

func TestRoutesCanBeWrittenReadListedAndDeletedOneByOne(t *testing.T) {
	e := start(t, armemu.Options{})
	c := ctx(t)
	if _, err := put(t, e, table(), c); err != nil {
		t.Fatal(err)
	}
	poller, err := e.routes.BeginCreateOrUpdate(c, group, "rt", "fw", armnetwork.Route{Properties: &armnetwork.RoutePropertiesFormat{
		AddressPrefix: to.Ptr("0.0.0.0/0"), NextHopType: to.Ptr(armnetwork.RouteNextHopTypeVirtualAppliance), NextHopIPAddress: to.Ptr("10.240.0.250")}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := poller.PollUntilDone(c, nil); err != nil {
		t.Fatal(err)
	}
	got, err := e.routes.Get(c, group, "rt", "fw", nil)
	if err != nil || *got.Properties.AddressPrefix != "0.0.0.0/0" {
		t.Fatalf("get route: %v %+v", err, got)
	}
	page, err := e.routes.NewListPager(group, "rt", nil).NextPage(c)
	if err != nil || len(page.Value) != 1 {
		t.Fatalf("list routes: %v, %d routes", err, len(page.Value))
	}
	del, err := e.routes.BeginDelete(c, group, "rt", "fw", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := del.PollUntilDone(c, nil); err != nil {
		t.Fatal(err)
	}
	if tbl, _ := e.srv.RouteTable(sub, group, "rt"); len(tbl.Routes) != 0 {
		t.Errorf("route still there after delete: %+v", tbl.Routes)
	}
}

func TestDeleteTableIsALongRunningOperation(t *testing.T) {
	e := start(t, armemu.Options{OperationPolls: 1})
	c := ctx(t)
	if _, err := put(t, e, table(), c); err != nil {
		t.Fatal(err)
	}
	poller, err := e.tables.BeginDelete(c, group, "rt", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := poller.PollUntilDone(c, nil); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.srv.RouteTable(sub, group, "rt"); ok {
		t.Error("table still there after delete")
	}
}

func TestThrottledWriteIsRetriedAfterRetryAfter(t *testing.T) {
	e := start(t, armemu.Options{})
	c := ctx(t)
	e.srv.AddFault(armemu.Fault{Method: "PUT", Status: http.StatusTooManyRequests, RetryAfter: time.Second, Times: 1})
	began := time.Now()
	if _, err := put(t, e, table(), c); err != nil {
		t.Fatalf("PUT after one 429: %v", err)
	}
	if waited := time.Since(began); waited < time.Second {
		t.Errorf("the SDK retried after %v, before Retry-After (1s)", waited)
	}
	if s := e.srv.Stats(); s.Faults != 1 || s.WriteAttempts != 2 || s.Writes != 1 {
		t.Errorf("stats = %+v; want 1 fault, 2 attempts, 1 write", s)
	}
}

func TestServerErrorsAnswerUntilTheFaultIsUsedUp(t *testing.T) {
	e := start(t, armemu.Options{})
	c := ctx(t)
	e.srv.AddFault(armemu.Fault{Status: http.StatusInternalServerError, Times: -1})
	_, err := e.tables.Get(policy.WithRetryOptions(c, policyNoRetry()), group, "rt", nil)
	if re := responseError(t, err); re.StatusCode != 500 {
		t.Errorf("got %d, want 500", re.StatusCode)
	}
	e.srv.ClearFaults()
	if _, err := put(t, e, table(), c); err != nil {
		t.Fatalf("PUT after faults cleared: %v", err)
	}
}

func TestSlowAnswerStillAppliesTheWrite(t *testing.T) {
	e := start(t, armemu.Options{})
	e.srv.AddFault(armemu.Fault{Method: "PUT", Delay: 2 * time.Second, Times: 1})
	c, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := put(t, e, table(route("a", "10.244.1.0/24", "10.240.0.5")), c); err == nil {
		t.Fatal("PUT returned before the slow answer")
	}
	poll.Eventually(t, 10*time.Second, "the slow write applied", func() error {
		if tbl, ok := e.srv.RouteTable(sub, group, "rt"); !ok || len(tbl.Routes) != 1 {
			return fmt.Errorf("the slow write was never applied")
		}
		return nil
	})
}

func TestStateFileKeepsTablesAcrossRestarts(t *testing.T) {
	file := filepath.Join(t.TempDir(), "state.json")
	e := start(t, armemu.Options{StateFile: file})
	c := ctx(t)
	if _, err := put(t, e, table(route("a", "10.244.1.0/24", "10.240.0.5")), c); err != nil {
		t.Fatal(err)
	}
	before, _ := e.srv.RouteTable(sub, group, "rt")
	e.srv.Close()

	again := start(t, armemu.Options{StateFile: file})
	after, ok := again.srv.RouteTable(sub, group, "rt")
	if !ok || after.Etag != before.Etag || len(after.Routes) != 1 || after.Routes[0] != before.Routes[0] {
		t.Errorf("after restart: %+v (found %v), want %+v", after, ok, before)
	}
}

func TestListTablesOfAGroup(t *testing.T) {
	e := start(t, armemu.Options{})
	c := ctx(t)
	if _, err := put(t, e, table(route("a", "10.244.1.0/24", "10.240.0.5")), c); err != nil {
		t.Fatal(err)
	}
	e.srv.CreateRouteTable(sub, group, "other", "westeurope")
	page, err := e.tables.NewListPager(group, nil).NextPage(c)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tbl := range page.Value {
		names = append(names, *tbl.Name)
	}
	if fmt.Sprint(names) != "[other rt]" {
		t.Errorf("tables = %v, want [other rt]", names)
	}
}
