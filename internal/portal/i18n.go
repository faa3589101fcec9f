package portal

import "hotline/internal/order"

// messages are the portal's texts, Chinese first.
var messages = map[string][2]string{ // key → {zh, en}
	"app":                         {"12345 市民服务", "12345 Citizen Service"},
	"nav.report":                  {"我要反映", "Report"},
	"nav.track":                   {"查询进度", "Track"},
	"nav.praise":                  {"我要表扬", "Praise"},
	"lang.switch":                 {"English", "中文"},
	"report.title":                {"反映问题", "Report a problem"},
	"report.intro":                {"请描述您遇到的问题，我们会尽快转交相关单位办理。紧急情况请直接拨打 110 / 119 / 120。", "Tell us what is wrong and we will pass it to the right unit. In an emergency call 110 / 119 / 120."},
	"f.type":                      {"类型", "Type"},
	"f.category":                  {"问题分类（可不选）", "Category (optional)"},
	"f.category.none":             {"不确定，由中心分类", "Not sure — let the center choose"},
	"f.description":               {"问题描述", "Description"},
	"f.description.ph":            {"什么问题、在哪里、从什么时候开始", "What, where, since when"},
	"f.place":                     {"地点", "Place"},
	"f.compound":                  {"小区", "Compound"},
	"f.compound.none":             {"其他地点（请在下方填写）", "Somewhere else (type it below)"},
	"f.building":                  {"楼号（可选）", "Building (optional)"},
	"f.address":                   {"详细地址", "Address"},
	"f.photo":                     {"照片（可选，JPEG/PNG，最大 5 MB；位置信息会被去除）", "Photo (optional, JPEG/PNG, up to 5 MB; location data is removed)"},
	"f.name":                      {"称呼（可选）", "Your name (optional)"},
	"f.phone":                     {"手机号码", "Mobile phone"},
	"f.phone.help":                {"用于回访和查询（查询时需要后 4 位）", "For the callback and for tracking (you will need its last 4 digits)"},
	"f.confidential":              {"为我保密（承办单位看不到我的姓名和电话）", "Keep me confidential (the handling unit will not see my name or phone)"},
	"f.anonymous":                 {"匿名反映（不留姓名电话，只能通过查询链接跟踪）", "Report anonymously (no name or phone; track with the link only)"},
	"f.praised":                   {"表扬对象（单位或个人）", "Who you praise (a unit or a person)"},
	"f.website":                   {"请勿填写此项", "Leave this empty"},
	"f.submit":                    {"提交", "Submit"},
	"done.title":                  {"提交成功", "Received"},
	"done.number":                 {"您的工单号", "Your order number"},
	"done.link":                   {"查询链接（请保存，凭此链接可随时查看进度和评价）", "Tracking link (keep it: it shows the progress and lets you rate)"},
	"done.next":                   {"我们将在派单后 5 个工作日内答复（咨询 1 个工作日）。", "You will get a reply within 5 working days of dispatch (consultations: 1)."},
	"track.title":                 {"查询办理进度", "Track your report"},
	"track.number":                {"工单号（13 位）", "Order number (13 digits)"},
	"track.last4":                 {"手机号后 4 位", "Last 4 digits of your phone"},
	"track.submit":                {"查询", "Look up"},
	"o.status":                    {"当前状态", "Status"},
	"o.type":                      {"类型", "Type"},
	"o.category":                  {"分类", "Category"},
	"o.unit":                      {"承办单位", "Handled by"},
	"o.created":                   {"提交时间", "Submitted"},
	"o.due":                       {"答复期限", "Reply due by"},
	"o.closed":                    {"办结时间", "Closed"},
	"o.praised":                   {"表扬对象", "Praised"},
	"o.replies":                   {"答复", "Replies"},
	"o.noreply":                   {"暂无答复。", "No reply yet."},
	"o.timeline":                  {"办理过程", "Progress"},
	"rate.title":                  {"评价本次办理", "Rate how it was handled"},
	"rate.outcome":                {"您是否满意？", "Are you satisfied?"},
	"rate.resolved.q":             {"问题是否已解决？", "Was the problem solved?"},
	"rate.yes":                    {"已解决", "Solved"},
	"rate.no":                     {"未解决", "Not solved"},
	"rate.comment":                {"意见（可选）", "Comment (optional)"},
	"rate.submit":                 {"提交评价", "Send rating"},
	"rate.thanks":                 {"感谢您的评价！", "Thank you for your rating!"},
	"rate.yours":                  {"您的评价", "Your rating"},
	"rate.resolved":               {"已解决", "solved"},
	"rate.unresolved":             {"未解决", "not solved"},
	"rating.pending":              {"已收到，将在中心审核答复后计入回访", "received; it counts as the callback once the center approves the reply"},
	"rating.applied":              {"已计入回访", "counted as the callback"},
	"rating.superseded":           {"答复已被退回重办，本次评价未计入", "the reply was sent back for more work; this rating was not counted"},
	"outcome.satisfied":           {"满意", "Satisfied"},
	"outcome.basically_satisfied": {"基本满意", "Basically satisfied"},
	"outcome.dissatisfied":        {"不满意", "Dissatisfied"},
	"err.fix":                     {"请检查标红的项目。", "Please check the fields marked in red."},
	"err.refused":                 {"提交未被接受，请检查后重试。", "The submission was not accepted; please check it and try again."},
	"err.internal":                {"系统暂时出错，请稍后再试或拨打 12345。", "Something went wrong on our side; please try later or call 12345."},
	"err.too_many":                {"提交过于频繁。", "Too many reports from here."},
	"err.too_many_lookups":        {"查询失败次数过多。", "Too many failed look-ups."},
	"err.not_found":               {"没有找到：请核对工单号和手机号后 4 位，或查询链接。", "Not found: check the order number and the last 4 digits, or the link."},
	"err.last4":                   {"请输入 13 位工单号和手机号后 4 位。", "Enter the 13-digit order number and the last 4 digits of your phone."},
	"err.rate_conflict":           {"现在不能评价：单位答复后才能评价，且每轮办理只能评价一次。", "You cannot rate now: rating opens once the unit has replied, once per round."},
	"err.rate_fields":             {"请选择满意程度和是否解决。", "Choose how satisfied you are and whether it was solved."},
	"field.type":                  {"请选择类型", "Choose a type"},
	"field.description":           {"请填写问题描述（最多 2000 字）", "Describe the problem (at most 2,000 characters)"},
	"field.category":              {"分类无效", "Unknown category"},
	"field.address":               {"请选择小区或填写地点", "Pick a compound or type the place"},
	"field.compound":              {"小区无效", "Unknown compound"},
	"field.building":              {"楼号过长", "Building too long"},
	"field.phone":                 {"请填写正确的手机号码，或选择匿名反映", "Enter a valid phone number, or report anonymously"},
	"field.name":                  {"称呼最多 50 字", "At most 50 characters"},
	"field.praised":               {"请填写表扬对象（最多 100 字）", "Say who you praise (at most 100 characters)"},
	"field.photo":                 {"照片须为 JPEG 或 PNG 图片，且不超过 5 MB", "The photo must be a JPEG or PNG image of at most 5 MB"},
	"field.caller.phone":          {"请填写正确的手机号码", "Enter a valid phone number"},
	"field.body":                  {"提交内容有误", "The form could not be read"},
}

func init() {
	for _, t := range order.Types {
		messages["type."+string(t)] = [2]string{typeWordsZH[t], string(t)}
	}
}

// tr returns a message in a language ("zh" or "en"); an unknown key is
// returned as is.
func tr(lang, key string) string {
	m, ok := messages[key]
	if !ok {
		return key
	}
	if lang == "en" {
		return m[1]
	}
	return m[0]
}

var statusTexts = map[order.Status][2]string{
	order.Received:        {"已受理，等待派单", "Received, waiting to be assigned"},
	order.Answered:        {"已直接答复", "Answered"},
	order.Dispatched:      {"已转交承办单位", "Passed to the handling unit"},
	order.Accepted:        {"承办单位已签收", "The unit has taken it on"},
	order.InProgress:      {"正在办理", "Being handled"},
	order.ReturnRequested: {"正在办理", "Being handled"},
	order.Returned:        {"正在重新派单", "Being re-assigned"},
	order.Replied:         {"单位已答复，中心审核中", "The unit has replied; the center is reviewing it"},
	order.Reviewed:        {"已答复，欢迎评价", "Replied — please rate it"},
	order.Closed:          {"已办结", "Closed"},
	order.Merged:          {"已与相同问题合并办理", "Handled together with the same problem"},
	order.Invalid:         {"已作无效处理", "Closed as invalid"},
}

// StatusText is a status in plain words.
func StatusText(s order.Status, lang string) string {
	m, ok := statusTexts[s]
	if !ok {
		return string(s)
	}
	if lang == "en" {
		return m[1]
	}
	return m[0]
}
