package e2e

import (
	"testing"

	"github.com/parkd/parkd/protocol"
)

func TestReplenishEmptyFirstPage(t *testing.T) {
	srv, token, _ := parkFixture(t)
	resp := srv.Post(t, protocol.ReplenishCode, token, []protocol.ReplenishRequest{
		{ParkCode: parkA, QueryDate: date(t, "2024-01-01"), CurrentPage: 1, PageSize: 10}})
	wantData(t, resp, `[{"parkCode":"`+parkA+`","plateNoList":[],"total":0}]`)
	// A page past the last of an empty list is 1107.
	resp = srv.Post(t, protocol.ReplenishCode, token, []protocol.ReplenishRequest{
		{ParkCode: parkA, QueryDate: date(t, "2024-01-01"), CurrentPage: 2, PageSize: 10}})
	wantCode(t, resp, protocol.CodeNoPage, "data[0].currentPage")
}

func TestReplenishPagesExitsWithoutEntry(t *testing.T) {
	srv, token, _ := parkFixture(t)
	wantOK(t, srv.Post(t, protocol.ExitRecordCode, token, []protocol.ExitRecord{
		exit(t, parkA, recordID(1), "粤B33333", "2024-01-01 09:00:00"),
		exit(t, parkA, recordID(2), "粤B11111", "2024-01-01 00:00:00"), // first second of the CST day
		exit(t, parkA, recordID(3), "粤B22222", "2024-01-01 23:59:59"), // last second
		exit(t, parkA, recordID(4), "粤B11111", "2024-01-01 12:00:00"), // the same plate again
		exit(t, parkA, recordID(5), "粤B55555", "2023-12-31 23:59:59"), // the day before
		exit(t, parkA, recordID(6), "粤B66666", "2024-01-02 00:00:00"), // the day after
		exit(t, parkA, recordID(7), "粤B77777", "2024-01-01 10:00:00"),
	}))
	// One of them gets its entry: it needs no re-report.
	wantOK(t, srv.Post(t, protocol.EnterRecordCode, token, []protocol.EnterRecord{enter(t, parkA, recordID(7), "粤B77777", "2024-01-01 08:00:00")}))

	page := func(n, size int) protocol.Response {
		t.Helper()
		return srv.Post(t, protocol.ReplenishCode, token, []protocol.ReplenishRequest{
			{ParkCode: parkA, QueryDate: date(t, "2024-01-01"), CurrentPage: n, PageSize: size}})
	}
	wantData(t, page(1, 2), `[{"parkCode":"`+parkA+`","plateNoList":["粤B11111","粤B22222"],"total":3}]`)
	wantData(t, page(2, 2), `[{"parkCode":"`+parkA+`","plateNoList":["粤B33333"],"total":3}]`)
	wantCode(t, page(3, 2), protocol.CodeNoPage, "data[0].currentPage")
	wantData(t, page(1, protocol.MaxPageSize), `[{"parkCode":"`+parkA+`","plateNoList":["粤B11111","粤B22222","粤B33333"],"total":3}]`)

	resp := srv.Post(t, protocol.ReplenishCode, token, []protocol.ReplenishRequest{
		{ParkCode: parkA, QueryDate: date(t, "2023-12-31"), CurrentPage: 1, PageSize: 50}})
	wantData(t, resp, `[{"parkCode":"`+parkA+`","plateNoList":["粤B55555"],"total":1}]`)
}

func TestReplenishErrors(t *testing.T) {
	tests := []struct {
		name string
		item map[string]any
		code protocol.Code
		path string
	}{
		{"pageSize 51", map[string]any{"parkCode": parkA, "queryDate": "2024-01-01", "currentPage": 1, "pageSize": 51}, protocol.CodeRange, "data[0].pageSize"},
		{"pageSize 0", map[string]any{"parkCode": parkA, "queryDate": "2024-01-01", "currentPage": 1, "pageSize": 0}, protocol.CodeRange, "data[0].pageSize"},
		{"currentPage 0", map[string]any{"parkCode": parkA, "queryDate": "2024-01-01", "currentPage": 0, "pageSize": 10}, protocol.CodeRange, "data[0].currentPage"},
		{"queryDate with a time", map[string]any{"parkCode": parkA, "queryDate": "2024-01-01 00:00", "currentPage": 1, "pageSize": 10}, protocol.CodeTooLong, "data[0].queryDate"},
		{"queryDate malformed", map[string]any{"parkCode": parkA, "queryDate": "2024/01/01", "currentPage": 1, "pageSize": 10}, protocol.CodeType, "data[0].queryDate"},
		{"missing queryDate", map[string]any{"parkCode": parkA, "currentPage": 1, "pageSize": 10}, protocol.CodeParam, "data[0].queryDate"},
		{"pageSize as a string", map[string]any{"parkCode": parkA, "queryDate": "2024-01-01", "currentPage": 1, "pageSize": "10"}, protocol.CodeType, "data[0].pageSize"},
		{"unknown park", map[string]any{"parkCode": parkB, "queryDate": "2024-01-01", "currentPage": 1, "pageSize": 10}, protocol.CodeNoPark, "data[0].parkCode"},
	}
	srv, token, _ := parkFixture(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantCode(t, postData(t, srv, protocol.ReplenishCode, token, mustJSON(t, []any{tc.item})), tc.code, tc.path)
		})
	}
}
