package sim

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/parkd/parkd/protocol"
)

// Shenzhen's bounding box (GCJ-02); simulated coordinates stay inside it.
const (
	MinLng, MaxLng = 113.75, 114.62
	MinLat, MaxLat = 22.45, 22.86
)

// district is an appendix F region with its approximate centre (GCJ-02)
// and some of its roads.
type district struct {
	code, name string
	lng, lat   float64
	roads      []string
}

var districts = []district{
	{"440303", "罗湖", 114.131, 22.548, []string{"深南东路", "人民南路", "东门中路", "爱国路", "翠竹路", "宝安南路"}},
	{"440304", "福田", 114.055, 22.533, []string{"深南大道", "福华三路", "益田路", "金田路", "红荔路", "彩田路"}},
	{"440305", "南山", 113.930, 22.533, []string{"科苑南路", "南海大道", "沙河西路", "后海大道", "学府路", "创业路"}},
	{"440306", "宝安", 113.883, 22.565, []string{"宝安大道", "新湖路", "创业一路", "建安一路", "宝民一路"}},
	{"440307", "龙岗", 114.247, 22.720, []string{"龙岗大道", "龙翔大道", "布吉路", "深惠路", "龙城大道"}},
	{"440308", "盐田", 114.237, 22.557, []string{"沙头角路", "深盐路", "海景二路", "盐田路"}},
	{"440309", "龙华", 114.045, 22.697, []string{"人民路", "梅龙大道", "民治大道", "东环二路", "和平路"}},
	{"440310", "坪山", 114.346, 22.708, []string{"深汕路", "坪山大道", "东纵路", "新和大道"}},
	{"440311", "光明", 113.936, 22.749, []string{"光明大道", "华夏路", "观光路", "光侨路"}},
	{"440327", "大鹏", 114.479, 22.588, []string{"葵涌路", "鹏飞路", "迎宾路", "金岭路"}},
}

// districtWeight is how likely a lot is in each district: the dense
// centre more than the outskirts.
var districtWeight = []int{12, 16, 16, 14, 14, 4, 10, 5, 5, 4}

// serviceKinds pairs a table B.1 service type with the words of a lot's
// name and whether it is run commercially (a permitNo of its own).
var serviceKinds = []struct {
	t          protocol.ServiceType
	words      []string
	commercial bool
	weight     int
}{
	{protocol.ServiceResidential, []string{"花园", "家园", "名苑", "小区"}, false, 20},
	{protocol.ServiceOffice, []string{"中心", "大厦", "科技园", "商务中心"}, true, 20},
	{protocol.ServiceMall, []string{"广场", "购物中心", "万象城", "天虹"}, true, 16},
	{protocol.ServiceHospital, []string{"人民医院", "中医院", "妇幼保健院"}, false, 6},
	{protocol.ServiceHotel, []string{"酒店", "宾馆"}, true, 6},
	{protocol.ServiceCatering, []string{"美食街", "食街"}, true, 4},
	{protocol.ServiceLeisure, []string{"欢乐谷", "影城"}, true, 3},
	{protocol.ServiceSupermarket, []string{"沃尔玛", "山姆会员店"}, true, 3},
	{protocol.ServiceSchool, []string{"中学", "大学城"}, false, 3},
	{protocol.ServiceSports, []string{"体育中心", "文化中心"}, false, 4},
	{protocol.ServiceTransport, []string{"北站", "枢纽", "地铁站"}, true, 5},
	{protocol.ServicePark, []string{"公园", "湾区公园"}, false, 5},
	{protocol.ServiceVillage, []string{"新村", "社区"}, false, 5},
}

// lotSpec is the static description of a simulated lot.
type lotSpec struct {
	info      protocol.ParkInfo
	entrances []protocol.EntranceExitInfo
	charging  int // totalCharingSpaces
}

// ParkCode returns the parkCode of the simulated lot number i (from 1) of
// account userID: 32 hex digits derived from both, so the same account
// reports the same lots run after run, whatever the seed.
func ParkCode(userID string, i int) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "parksim\x00%s\x00%d", userID, i))
	return hex.EncodeToString(sum[:16])
}

// newLotSpec describes lot number i of userID, deterministically.
func newLotSpec(userID string, i int) lotSpec {
	code := ParkCode(userID, i)
	sum := sha256.Sum256([]byte(code))
	r := rand.New(rand.NewPCG(binary.LittleEndian.Uint64(sum[:8]), binary.LittleEndian.Uint64(sum[8:16])))
	d := districts[pickWeighted(r, districtWeight)]
	kw := make([]int, len(serviceKinds))
	for k, s := range serviceKinds {
		kw[k] = s.weight
	}
	kind := serviceKinds[pickWeighted(r, kw)]
	word := kind.words[r.IntN(len(kind.words))]
	road := d.roads[r.IntN(len(d.roads))]

	// 50-2,000 spaces, log-uniform: many small lots, a few large ones.
	total := int(math.Round(50 * math.Pow(40, r.Float64())))
	parkType := protocol.ParkTypeIndoor
	structural := protocol.StructUnderground
	if r.IntN(3) == 0 {
		parkType, structural = protocol.ParkTypeOutdoor, protocol.StructAboveGround
	} else if total > 800 && r.IntN(2) == 0 {
		structural = protocol.StructMultiStorey
	}
	lng := clamp(d.lng+(r.Float64()-0.5)*0.06, MinLng+0.005, MaxLng-0.005)
	lat := clamp(d.lat+(r.Float64()-0.5)*0.05, MinLat+0.005, MaxLat-0.005)
	lng, lat = math.Round(lng*1e6)/1e6, math.Round(lat*1e6)/1e6

	month := total * (10 + r.IntN(30)) / 100
	fixed := total * r.IntN(10) / 100
	temp := total - month - fixed
	charging := total * (3 + r.IntN(10)) / 100
	info := protocol.ParkInfo{
		ParkName:        fmt.Sprintf("%s%s停车场 %03d", d.name, word, i),
		ParkCode:        code,
		ParkType:        parkType,
		Address:         fmt.Sprintf("深圳市%s区%s%d号", d.name, road, 1+r.IntN(3000)),
		Longitude:       lng,
		Latitude:        lat,
		AreaCode:        d.code,
		ServiceType:     kind.t,
		BizStatus:       protocol.BizEnabled,
		TotalSpaces:     total,
		MonthCardSpaces: &month, FixedSpaces: &fixed, TempSpaces: &temp,
		TotalCharingSpaces: &charging,
		ImageID:            tariffID(code),
		ChargeDesc:         fmt.Sprintf("首小时%d元，之后每小时%d元，24小时最高收费%d元；15分钟内免费", 5+r.IntN(11), 3+r.IntN(6), 40+10*r.IntN(5)),
		PublicInfos:        []protocol.PublicInfo{{Type: protocol.BusinessAllDays, StartTime: protocol.MustTime("00:00:00"), EndTime: protocol.MustTime("23:59:59")}},
		Contacts:           "值班室",
		Tel:                fmt.Sprintf("0755-8%07d", r.IntN(10_000_000)),
		StructuralType:     &structural,
	}
	if kind.commercial {
		info.PermitNo = fmt.Sprintf("深交停经字〔%d〕%s%04d号", 2015+r.IntN(10), d.code[4:], 1+r.IntN(9999))
	}
	if kind.t == protocol.ServiceResidential || kind.t == protocol.ServiceVillage {
		yes := protocol.Yes
		info.CommitteeInfo = &yes
	}
	if r.IntN(5) < 2 { // some lots take reservations
		info.Reservable = protocol.Yes
		info.ReservableSpaces = max(2, total*(3+r.IntN(8))/100)
		info.TotalReservableCharingSpaces = min(charging, info.ReservableSpaces/5)
	}

	n := 1 + r.IntN(4)
	names := []string{"北", "南", "东", "西"}
	var gates []protocol.EntranceExitInfo
	for g := range n {
		t := protocol.EntranceInOut
		switch {
		case n == 2 && g == 0, n >= 3 && g%2 == 0:
			t = protocol.EntranceIn
		case n == 2 && g == 1, n >= 3 && g%2 == 1:
			t = protocol.EntranceOut
		}
		suffix := map[protocol.EntranceType]string{protocol.EntranceIn: "入口", protocol.EntranceOut: "出口", protocol.EntranceInOut: "出入口"}[t]
		gates = append(gates, protocol.EntranceExitInfo{
			ParkCode:         code,
			Name:             names[g] + "门" + suffix,
			EntranceExitCode: fmt.Sprintf("GATE%02d", g+1),
			Type:             t,
			Longitude:        math.Round((lng+(r.Float64()-0.5)*0.002)*1e6) / 1e6,
			Latitude:         math.Round((lat+(r.Float64()-0.5)*0.002)*1e6) / 1e6,
			Status:           protocol.EntranceNormal,
			RoadName:         road,
		})
	}
	return lotSpec{info: info, entrances: gates, charging: charging}
}

// tariffID is the picture id of a lot's tariff board (table 6 imageId).
func tariffID(parkCode string) string {
	sum := sha256.Sum256([]byte("tariff\x00" + parkCode))
	return hex.EncodeToString(sum[:16])
}

func pickWeighted(r *rand.Rand, w []int) int {
	total := 0
	for _, v := range w {
		total += v
	}
	n := r.IntN(total)
	for i, v := range w {
		if n < v {
			return i
		}
		n -= v
	}
	return len(w) - 1
}

func clamp(v, lo, hi float64) float64 { return min(max(v, lo), hi) }
