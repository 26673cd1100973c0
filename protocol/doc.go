// Package protocol is the wire format of Shenzhen's smart-parking data-access
// standard (深圳市公共智慧停车平台数据接入规范, DB 4403/T), read as the
// project's docs/protocol.md fixes it. The platform server, the client SDK, the
// simulator and the conformance checker all speak through it.
//
// # Messages
//
// Every table of the standard has a Go type whose JSON names are exactly the
// standard's, typos included (totalCharingSpaces, usedCharingStalls,
// parkingSpaceImageId, obligatTime): [LoginRequest] and [LoginResponse]
// (tables 2-3), [HeartbeatRequest] and [HeartbeatResponse] (4-5),
// [ParkInfo] with its [PublicInfo] list and [ParkInfoResponse] (6-8),
// [EntranceExitInfo] (9-10), [EnterRecord], [ExitRecord] and
// [RecordResponse] (11-14), [PictureForm] (15-16, a multipart form),
// [ParkSpaceInfo] (17-18), the downlink [Reservation] and
// [CancelReservation] (19-22), [ParkCarInfo] (23-24) and
// [ReplenishRequest] and [ReplenishResponse] (25-26). [Interface] names the
// twelve interface codes of table 30.
//
// # Validation
//
// A request item is read with [Decode] (one item) or [DecodeItems] (the
// items of a request's data), which check, for each field and in this order:
// missing or null ([CodeParam], 4), wrong JSON type ([CodeType], 1005),
// longer than its maximum counted in characters, not bytes ([CodeTooLong],
// 1004), not parseable as its type such as a DateTime or a Uuid (1005), and
// outside its dictionary or range ([CodeRange], 1007). Failures are an
// [*Error]: an appendix-A [Code] and a field path such as
// "data[3].plateNo" or "data[0].publicInfos[1].endTime"; its Message is
// what goes on the wire, for example "超出规定长度: data[3].plateNo (max 20)".
//
// # Envelope and signing
//
// [ParseRequest] reads the request envelope of table 28 and splits its data
// into items; [NewRequest] builds a signed one and [NewResponse] and
// [ErrorResponse] the response envelope of table 29, whose data is always an
// array. The sign is SM3 (GM/T 0004) of the exact bytes of data as they
// stand in the body, written as 64 lowercase hex digits ([Sign]); [Verify]
// also accepts uppercase hex, Base64, and the digest of data with
// insignificant whitespace removed, so pretty-printed bodies verify.
// [SignKeyed] and [VerifyKeyed] are the keyed extension, HMAC-SM3.
// [PasswordDigest] turns a plaintext password into table 2's password,
// Base64(SM3(plaintext)).
//
// # Dictionaries and time
//
// Dictionary fields (appendix B-E and the enumerations of the tables) are
// integer types with a Valid method, such as [CarModel], [ServiceType] and
// [BusinessType]; [Regions] holds the area codes of appendix F, [Shenzhen]
// by default. [DateTime], [Date] and [Time] are table 1's textual types,
// always in China Standard Time ([CST], UTC+8) whatever the zone of the
// machine; they keep the text they were sent as, so that a malformed value
// is reported by Validate with code 1005 and its path.
package protocol
