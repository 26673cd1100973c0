package protocol

import "regexp"

// plateFormat matches the common formats of mainland Chinese plates: a
// province character, a letter, then 5 characters (6 for new-energy
// plates), the last of which may be a usage character such as 警 or 学.
var plateFormat = regexp.MustCompile(`^[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领][A-Z][A-Z0-9]{4,5}[A-Z0-9挂学警港澳领使试超]$`)

// PlateLooksValid reports whether a normalised plate fits a known Chinese
// format. A plate that does not is still stored; the platform counts it as
// a data-quality warning (docs/protocol.md §3).
func PlateLooksValid(plate string) bool { return plateFormat.MatchString(plate) }
