package protocol

// Interface is an interface code of table 30, the last element of the URL
// `/dataReceive/v1/{code}`. Codes are case-sensitive.
type Interface string

// The twelve interfaces of table 30.
const (
	Login             Interface = "login"             // 1 安全认证接口, up
	HeartBeats        Interface = "heartBeats"        // 2 心跳接口, up
	ParkInfoCode      Interface = "parkInfo"          // 3 停车场（库）数据上报接口, up
	EntranceExitCode  Interface = "entranceExitInfo"  // 4 出入口数据上报接口, up
	EnterRecordCode   Interface = "enterRecord"       // 5 车辆入场记录上报接口, up
	ExitRecordCode    Interface = "exitRecord"        // 6 车辆出场记录上报接口, up
	PictureCode       Interface = "picture"           // 7 公共图片数据上报接口, up
	ParkSpaceInfoCode Interface = "parkSpaceInfo"     // 8 车位数动态数据上报接口, up
	ReservationCode   Interface = "reservation"       // 9 预约停车数据下发接口, down
	CancelCode        Interface = "cancelReservation" // 10 取消预约数据下发接口, down
	ParkCarInfoCode   Interface = "parkCarInfo"       // 11 停车场（库）车辆数据上报接口, up
	ReplenishCode     Interface = "replenishCarInfo"  // 12 拉取补报车辆数据上报接口, up
)

// Off-peak interfaces (错峰停车, clause 6.7): the standard leaves them to
// agreement between the platforms; parkd's are in docs/offpeak.md. Only
// accounts with the off-peak role call them; login and heartBeats serve
// both roles.
const (
	OffPeakPackageCode       Interface = "offPeakPackage"       // packages, create or update
	OffPeakPackageStatusCode Interface = "offPeakPackageStatus" // put on or take off sale
	OffPeakOrderCode         Interface = "offPeakOrder"         // orders, create or update
)

// PathPrefix is the URL path before the interface code (clause 5.1 d).
const PathPrefix = "/dataReceive/v1/"

// Version is the protocol version parkd and the SDK send.
const Version = "1.0.0"

// Uplink lists the ten interfaces the platform serves, in table 30 order.
var Uplink = []Interface{Login, HeartBeats, ParkInfoCode, EntranceExitCode, EnterRecordCode,
	ExitRecordCode, PictureCode, ParkSpaceInfoCode, ParkCarInfoCode, ReplenishCode}

// OffPeak lists the off-peak interfaces the platform serves.
var OffPeak = []Interface{OffPeakPackageCode, OffPeakPackageStatusCode, OffPeakOrderCode}

// Downlink lists the two interfaces a parking system serves.
var Downlink = []Interface{ReservationCode, CancelCode}

// Path returns the URL path of i.
func (i Interface) Path() string { return PathPrefix + string(i) }

// IsUplink reports whether the platform serves i: one of table 30's
// uplink interfaces or an off-peak one.
func (i Interface) IsUplink() bool {
	for _, u := range Uplink {
		if u == i {
			return true
		}
	}
	return i.IsOffPeak()
}

// IsOffPeak reports whether i is an off-peak interface.
func (i Interface) IsOffPeak() bool {
	for _, u := range OffPeak {
		if u == i {
			return true
		}
	}
	return false
}

// Shared reports whether both roles of account may call i: login and
// heartBeats.
func (i Interface) Shared() bool { return i == Login || i == HeartBeats }

// NeedsToken reports whether a request to i must carry an accessToken:
// every interface but login.
func (i Interface) NeedsToken() bool { return i != Login }

// InTimestampWindow reports whether requests to i are subject to the
// timestamp window (docs/protocol.md §2): all but login and heartBeats.
func (i Interface) InTimestampWindow() bool { return i != Login && i != HeartBeats }
