// Command genclient talks to parkd through a client that oapi-codegen
// generated from parkd's OpenAPI document (package parkdclient, made by
// internal/openapi's TestGeneratedClientTalksToParkd before it builds
// this). It logs in, reports a park and an entry and sends a heartbeat,
// all with typed calls, and prints each answer's code: "login 0".
//
//	GENCLIENT_PASSWORD=PW genclient URL CA-FILE USER-ID
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/parkd/parkd/internal/openapi/testdata/genclient/parkdclient"
	"github.com/parkd/parkd/protocol"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "genclient:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) != 3 {
		return fmt.Errorf("usage: genclient URL CA-FILE USER-ID (password in GENCLIENT_PASSWORD)")
	}
	url, caFile, userID := args[0], args[1], args[2]
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return err
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return fmt.Errorf("%s: no certificate", caFile)
	}
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	c, err := parkdclient.NewClientWithResponses(url, parkdclient.WithHTTPClient(hc))
	if err != nil {
		return err
	}
	ctx := context.Background()

	logins := []parkdclient.LoginRequest{{UserId: userID, Password: protocol.PasswordDigest(os.Getenv("GENCLIENT_PASSWORD"))}}
	login, err := c.LoginWithResponse(ctx, parkdclient.LoginEnvelope{Timestamp: now(), Sign: sign(logins), Version: protocol.Version, Data: logins})
	if err != nil {
		return err
	}
	if login.JSON200 == nil {
		return fmt.Errorf("login: HTTP %d %s", login.StatusCode(), login.Body)
	}
	fmt.Println("login", login.JSON200.Code)
	if login.JSON200.Code != parkdclient.CodeOK || len(login.JSON200.Data) != 1 {
		return fmt.Errorf("login refused: %s", login.JSON200.Message)
	}
	auth := func(_ context.Context, r *http.Request) error {
		r.Header.Set("authorization", login.JSON200.Data[0].AccessToken)
		return nil
	}

	parkCode := fmt.Sprintf("%032x", time.Now().UnixNano())
	reservable := parkdclient.No
	parks := []parkdclient.ParkInfo{{ParkName: "生成客户端测试停车场", ParkCode: parkCode, PermitNo: "", ParkType: parkdclient.ParkTypeIndoor,
		Address: "深圳市福田区福华路1号", Longitude: 114.0579, Latitude: 22.5431, AreaCode: "440304", ServiceType: parkdclient.ServiceOffice,
		BizStatus: parkdclient.BizEnabled, TotalSpaces: 100, Reservable: reservable, ReservableSpaces: 0, TotalReservableCharingSpaces: 0,
		ImageId: parkCode}}
	park, err := c.ParkInfoWithResponse(ctx, nil, parkdclient.ParkInfoEnvelope{Timestamp: now(), Sign: sign(parks), Version: protocol.Version, Data: parks}, auth)
	if err != nil {
		return err
	}
	if park.JSON200 == nil {
		return fmt.Errorf("parkInfo: HTTP %d %s", park.StatusCode(), park.Body)
	}
	fmt.Println("parkInfo", park.JSON200.Code, park.JSON200.Message)

	color := parkdclient.CarColor(1)
	entries := []parkdclient.EnterRecord{{ParkCode: parkCode, Id: fmt.Sprintf("%032x", time.Now().UnixNano()+1), PlateNo: "粤B12345",
		EnterTime: time.Now().In(protocol.CST).Format(protocol.DateTimeLayout), EntryCarPhotoId: "p1", EntranceCode: "gate01",
		CarColor: &color}}
	enter, err := c.EnterRecordWithResponse(ctx, nil, parkdclient.EnterRecordEnvelope{Timestamp: now(), Sign: sign(entries), Version: protocol.Version, Data: entries}, auth)
	if err != nil {
		return err
	}
	if enter.JSON200 == nil {
		return fmt.Errorf("enterRecord: HTTP %d %s", enter.StatusCode(), enter.Body)
	}
	fmt.Println("enterRecord", enter.JSON200.Code, enter.JSON200.Message)
	if enter.JSON200.Code == parkdclient.CodeOK && (len(enter.JSON200.Data) != 1 || enter.JSON200.Data[0].Id != entries[0].Id) {
		return fmt.Errorf("enterRecord answered %+v", enter.JSON200.Data)
	}

	beats := []parkdclient.HeartbeatRequest{{RequestTime: time.Now().In(protocol.CST).Format(protocol.DateTimeLayout)}}
	beat, err := c.HeartBeatsWithResponse(ctx, nil, parkdclient.HeartBeatsEnvelope{Timestamp: now(), Sign: sign(beats), Version: protocol.Version, Data: beats}, auth)
	if err != nil {
		return err
	}
	if beat.JSON200 == nil {
		return fmt.Errorf("heartBeats: HTTP %d %s", beat.StatusCode(), beat.Body)
	}
	fmt.Println("heartBeats", beat.JSON200.Code, beat.JSON200.Message)
	return nil
}

// now is the envelope's timestamp: milliseconds since the epoch.
func now() int64 { return time.Now().UnixMilli() }

// sign is SM3 of data as the generated client encodes it: encoding/json
// writes the same bytes for the items alone and inside the envelope.
func sign(items any) string {
	b, err := json.Marshal(items)
	if err != nil {
		panic(err)
	}
	return protocol.Sign(b)
}
