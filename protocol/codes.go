package protocol

import "strconv"

// Code is a response code of appendix A (tables A.1 and A.2). Codes are
// append-only: a value, once published, is never renumbered or reused.
type Code int

// General codes, table A.1.
const (
	CodeOK            Code = 0 // 成功
	CodeBusiness      Code = 1 // 业务异常
	CodeFormat        Code = 2 // 接口通用格式错误: malformed JSON or envelope
	CodeInternal      Code = 3 // 其他错误: unexpected server fault
	CodeParam         Code = 4 // 参数错误: missing required field, bad envelope values
	CodeToken         Code = 5 // Token校验失败
	CodeSign          Code = 6 // sign参数校验失败
	CodeName          Code = 1000
	CodeParkCode      Code = 1001 // not sent by parkd: 5 and 1101 cover it (docs/protocol.md §4)
	CodeSpaceCode     Code = 1002
	CodeTooLong       Code = 1004 // 超出规定长度
	CodeType          Code = 1005 // 字段类型错误
	CodeRange         Code = 1007 // 超出规定值范围
	CodeNoObject      Code = 1100
	CodeNoPark        Code = 1101 // 车场不存在
	CodeNoSpace       Code = 1102
	CodeNoCar         Code = 1103
	CodeNoReservation Code = 1104 // 预约订单不存在
	CodeNoPage        Code = 1107 // 指定页码不存在
	CodeExists        Code = 1200
	CodeBookExists    Code = 1201 // 预约编码已存在
	CodeInvalidated   Code = 1300
	CodeBookExpired   Code = 1301 // 预约已过期
	CodeDeleted       Code = 1400
	CodeBookCancelled Code = 1401 // 预约已取消
	CodeNoneFree      Code = 1500
	CodeNoReservable  Code = 1501 // 没有可预约车位
	CodeLogin         Code = 3001 // 用户名或密码错误
	CodeAccessToken   Code = 3002 // not sent by parkd: 5 covers it (docs/protocol.md §4)
	CodeCarNotInPark  Code = 4001 // 车辆不在场内
	CodeBookTime      Code = 5004 // 预约时间有误
	CodeBlacklist     Code = 5005 // 黑名单
)

var codeMessages = map[Code]string{
	CodeOK:            "成功",
	CodeBusiness:      "业务异常",
	CodeFormat:        "接口通用格式错误",
	CodeInternal:      "其他错误",
	CodeParam:         "参数错误",
	CodeToken:         "Token校验失败",
	CodeSign:          "sign参数校验失败",
	CodeName:          "编码/命名错误",
	CodeParkCode:      "停车场（库）编码错误",
	CodeSpaceCode:     "车位编码错误",
	CodeTooLong:       "超出规定长度",
	CodeType:          "字段类型错误",
	CodeRange:         "超出规定值范围",
	CodeNoObject:      "对象不存在",
	CodeNoPark:        "车场不存在",
	CodeNoSpace:       "车位不存在",
	CodeNoCar:         "车辆不存在",
	CodeNoReservation: "预约订单不存在",
	CodeNoPage:        "指定页码不存在",
	CodeExists:        "对象已存在",
	CodeBookExists:    "预约编码已存在",
	CodeInvalidated:   "对象已失效",
	CodeBookExpired:   "预约已过期",
	CodeDeleted:       "对象已删除",
	CodeBookCancelled: "预约已取消",
	CodeNoneFree:      "没有空余对象",
	CodeNoReservable:  "没有可预约车位",
	CodeLogin:         "用户名或密码错误",
	CodeAccessToken:   "访问令牌错误",
	CodeCarNotInPark:  "车辆不在场内",
	CodeBookTime:      "预约时间有误",
	CodeBlacklist:     "黑名单",
}

// Message returns the fixed Chinese message of appendix A for c, or
// "未知错误" for a code the appendix does not list.
func (c Code) Message() string {
	if m, ok := codeMessages[c]; ok {
		return m
	}
	return "未知错误"
}

// Known reports whether c is listed in appendix A.
func (c Code) Known() bool {
	_, ok := codeMessages[c]
	return ok
}

// IsDataError reports whether c rejects the content of a request (a 1xxx
// code): re-sending the same data cannot succeed.
func (c Code) IsDataError() bool { return c >= 1000 && c < 2000 }

// String returns the code and its message, as in "1004 超出规定长度".
func (c Code) String() string { return strconv.Itoa(int(c)) + " " + c.Message() }
