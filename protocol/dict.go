package protocol

// Dictionaries of appendix B–F and the enumerations written into the tables.
// Every one is a JSON integer on the wire (docs/protocol.md §3); a value outside its
// dictionary is code 1007.

// ParkType is table 6 parkType.
type ParkType int

// Park types, table 6 item 4.
const (
	ParkTypeRoadside ParkType = 0 // 路内停车区
	ParkTypeIndoor   ParkType = 1 // 室内停车场（库）
	ParkTypeOutdoor  ParkType = 2 // 室外停车场（库）
)

// Valid reports whether t is in the dictionary.
func (t ParkType) Valid() bool { return t >= 0 && t <= 2 }

// ServiceType is table 6 serviceType, appendix B (table B.1).
type ServiceType int

// Service types, table B.1.
const (
	ServiceResidential ServiceType = 1  // 住宅
	ServiceHospital    ServiceType = 2  // 医院
	ServiceSchool      ServiceType = 3  // 学校
	ServiceOffice      ServiceType = 4  // 办公
	ServiceHotel       ServiceType = 5  // 酒店、宾馆、旅馆
	ServiceCatering    ServiceType = 6  // 餐饮
	ServiceLeisure     ServiceType = 7  // 娱乐
	ServiceMall        ServiceType = 8  // 商场、购物中心
	ServiceRetail      ServiceType = 9  // 配套商业
	ServiceSupermarket ServiceType = 10 // 大型超市、仓储式超市
	ServiceMarket      ServiceType = 11 // 综合市场、批发市场、农贸市场
	ServiceSports      ServiceType = 12 // 文体场所
	ServiceIndustry    ServiceType = 13 // 工业和物流仓储
	ServiceTransport   ServiceType = 14 // 交通枢纽
	ServicePark        ServiceType = 15 // 公园、游览场所
	ServiceVillage     ServiceType = 16 // 城中村
	ServiceOther       ServiceType = 17 // 其他
)

// Valid reports whether t is in table B.1.
func (t ServiceType) Valid() bool { return t >= 1 && t <= 17 }

// BizStatus is table 6 bizStatus.
type BizStatus int

// Park states, table 6 item 10.
const (
	BizDisabled BizStatus = 0 // 禁用
	BizEnabled  BizStatus = 1 // 启用
)

// Valid reports whether s is 0 or 1.
func (s BizStatus) Valid() bool { return s == 0 || s == 1 }

// Flag is a 0/1 Int of the tables (reservable, committeeInfo).
type Flag int

// Flag values.
const (
	No  Flag = 0
	Yes Flag = 1
)

// Valid reports whether f is 0 or 1.
func (f Flag) Valid() bool { return f == 0 || f == 1 }

// StructuralType is table 6 structuralType.
type StructuralType int

// Structural types, table 6 item 25.
const (
	StructAboveGround StructuralType = 1 // 地上
	StructUnderground StructuralType = 2 // 地下
	StructMixed       StructuralType = 3 // 地上、地下混合
	StructMultiStorey StructuralType = 4 // 多层
	StructMechanical  StructuralType = 5 // 立体机械
)

// Valid reports whether t is 1-5.
func (t StructuralType) Valid() bool { return t >= 1 && t <= 5 }

// BusinessType is table 7 type.
type BusinessType int

// Business-hours types, table 7 item 1.
const (
	BusinessAllDays  BusinessType = 1 // 全天
	BusinessWorkdays BusinessType = 2 // 工作日
	BusinessHolidays BusinessType = 3 // 法定节假日
	BusinessSpecial  BusinessType = 4 // 特殊日: startDateTime and endDateTime required
)

// Valid reports whether t is 1-4.
func (t BusinessType) Valid() bool { return t >= 1 && t <= 4 }

// EntranceType is table 9 type.
type EntranceType int

// Entrance types, table 9 item 4.
const (
	EntranceIn    EntranceType = 1 // 入口
	EntranceOut   EntranceType = 2 // 出口
	EntranceInOut EntranceType = 3 // 出入口
)

// Valid reports whether t is 1-3.
func (t EntranceType) Valid() bool { return t >= 1 && t <= 3 }

// EntranceStatus is table 9 status.
type EntranceStatus int

// Entrance states, table 9 item 7.
const (
	EntranceNormal  EntranceStatus = 1 // 正常
	EntranceRemoved EntranceStatus = 2 // 拆除
	EntranceClosed  EntranceStatus = 3 // 临时封闭
)

// Valid reports whether s is 1-3.
func (s EntranceStatus) Valid() bool { return s >= 1 && s <= 3 }

// CarModel is appendix C (table C.1), the kind of number plate. On the wire
// "01" is the integer 1.
type CarModel int

// A few common plate kinds of table C.1; Valid knows the whole table.
const (
	CarModelLarge      CarModel = 1  // 大型汽车
	CarModelSmall      CarModel = 2  // 小型汽车
	CarModelPolice     CarModel = 23 // 警用汽车
	CarModelLargeNEV   CarModel = 51 // 大型新能源汽车号牌
	CarModelSmallNEV   CarModel = 52 // 小型新能源汽车号牌
	CarModelOtherPlate CarModel = 99 // 其他号牌
)

// Valid reports whether m is in table C.1: 1-27, 31, 32, 41-43, 51, 52, 99.
func (m CarModel) Valid() bool {
	switch {
	case m >= 1 && m <= 27, m == 31, m == 32, m >= 41 && m <= 43, m == 51, m == 52, m == 99:
		return true
	}
	return false
}

// CarColor is appendix D (table D.1).
type CarColor int

// Vehicle colours, table D.1.
const (
	CarWhite  CarColor = 1 // 白色
	CarGrey   CarColor = 2 // 灰色
	CarBlack  CarColor = 3 // 黑色
	CarRed    CarColor = 4 // 红色
	CarYellow CarColor = 5 // 黄色
	CarGreen  CarColor = 6 // 绿色
	CarBlue   CarColor = 7 // 蓝色
	CarOther  CarColor = 8 // 其他
)

// Valid reports whether c is 1-8.
func (c CarColor) Valid() bool { return c >= 1 && c <= 8 }

// PlateColor is appendix E (table E.1).
type PlateColor int

// Plate colours, table E.1.
const (
	PlateBlue        PlateColor = 1 // 蓝色
	PlateYellow      PlateColor = 2 // 黄色
	PlateBlack       PlateColor = 3 // 黑色
	PlateWhite       PlateColor = 4 // 白色
	PlateGreen       PlateColor = 5 // 绿色
	PlateYellowGreen PlateColor = 6 // 黄绿色
)

// Valid reports whether c is 1-6.
func (c PlateColor) Valid() bool { return c >= 1 && c <= 6 }

// ImageBizType is table 15 imageBizType.
type ImageBizType int

// Picture business types, table 15 item 5.
const (
	ImageTariff    ImageBizType = 1 // 收费标价牌
	ImageFloorPlan ImageBizType = 2 // 停车场（库）平面图
	ImageSpaceMap  ImageBizType = 3 // 车位分布图
	ImagePlate     ImageBizType = 4 // 车牌照片
	ImageOther     ImageBizType = 5 // 其他
)

// Valid reports whether t is 1-5.
func (t ImageBizType) Valid() bool { return t >= 1 && t <= 5 }

// BookType is table 19 bookType.
type BookType int

// Reservation order types, table 19 item 7.
const (
	BookCheckSpace BookType = 0 // 需要判断余位
	BookNoCheck    BookType = 1 // 不需要判断余位
)

// Valid reports whether t is 0 or 1.
func (t BookType) Valid() bool { return t == 0 || t == 1 }

// SpaceType is table 19 spaceType.
type SpaceType int

// Reserved space types, table 19 item 8.
const (
	SpaceOrdinary   SpaceType = 0 // 普通车位
	SpaceCharging   SpaceType = 1 // 充电车位
	SpaceAccessible SpaceType = 2 // 无障碍车位
)

// Valid reports whether t is 0-2.
func (t SpaceType) Valid() bool { return t >= 0 && t <= 2 }

// OperateType is table 19 operateType.
type OperateType int

// Operations, table 19 item 9.
const (
	OperateBook   OperateType = 1 // 预约
	OperateChange OperateType = 2 // 变更
)

// Valid reports whether t is 1 or 2.
func (t OperateType) Valid() bool { return t == 1 || t == 2 }

// Regions maps the area codes a deployment accepts in table 6 areaCode to
// their names. The list is configuration (docs/protocol.md §3); Shenzhen is the
// default.
type Regions map[string]string

// Shenzhen is appendix F (table F.1).
var Shenzhen = Regions{
	"440303": "罗湖区",
	"440304": "福田区",
	"440305": "南山区",
	"440306": "宝安区",
	"440307": "龙岗区",
	"440308": "盐田区",
	"440309": "龙华区",
	"440310": "坪山区",
	"440311": "光明区",
	"440327": "大鹏新区",
}

// Check returns a 1007 error for path when code is not in r.
func (r Regions) Check(path, code string) error {
	if _, ok := r[code]; ok {
		return nil
	}
	return FieldErrorf(CodeRange, path, "(%q is not a configured region code)", code)
}
