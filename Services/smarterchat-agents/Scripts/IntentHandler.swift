import Foundation

/// An `intent_handler` script (docs/scripts.md): when the intent matches (named by the model,
/// or one of the keywords is in the contact's message), answer with a fixed reply and/or act.
///
/// ```json
/// {"intent": "pricing", "keywords": ["preço", "quanto custa"],
///  "reply": "Nossos planos começam em R$ 99/mês.",
///  "actions": [{"type": "tag", "tag": "pricing"}, {"type": "set_lead_temperature", "temperature": "warm"},
///              {"type": "set_lead_status", "status": "contacted"}, {"type": "handoff", "reason": "pricing"}]}
/// ```
struct IntentHandler: Sendable, Equatable {
    static let leadStatuses = ["new", "contacted", "qualified", "converted", "lost"]

    enum Action: Sendable, Equatable {
        case handoff(reason: String)
        case tag(String)
        case setLeadStatus(String)
        case setLeadTemperature(String)
    }

    var name = ""
    var intent: String
    var keywords: [String]
    var reply: String?
    var actions: [Action]

    init(text: String) throws(RuleError) {
        let reader = try RuleReader(text: text)
        try reader.only(["intent", "keywords", "reply", "actions"])
        intent = try reader.string("intent", required: true, maxLength: 100) ?? ""
        keywords = try reader.strings("keywords") ?? []
        reply = try reader.string("reply", maxLength: 4000).flatMap { $0.isEmpty ? nil : $0 }
        actions = []
        for action in try reader.objects("actions", maxCount: 10) ?? [] {
            let type = try action.string("type", required: true) ?? ""
            switch type {
            case "handoff":
                try action.only(["type", "reason"])
                actions.append(.handoff(reason: try action.string("reason", maxLength: 200) ?? "intent \(intent)"))
            case "tag":
                try action.only(["type", "tag"])
                actions.append(.tag(try action.string("tag", required: true, maxLength: 50) ?? ""))
            case "set_lead_status":
                try action.only(["type", "status"])
                let status = try action.string("status", required: true) ?? ""
                guard Self.leadStatuses.contains(status) else {
                    throw RuleError(
                        path: action.at("status"),
                        message: "must be one of \(Self.leadStatuses.joined(separator: ", "))")
                }
                actions.append(.setLeadStatus(status))
            case "set_lead_temperature":
                try action.only(["type", "temperature"])
                let temperature = try action.string("temperature", required: true) ?? ""
                guard QualificationRules.temperatures.contains(temperature) else {
                    throw RuleError(path: action.at("temperature"), message: "must be hot, warm or cold")
                }
                actions.append(.setLeadTemperature(temperature))
            default:
                throw RuleError(
                    path: action.at("type"), message: "must be handoff, tag, set_lead_status or set_lead_temperature")
            }
        }
        guard reply != nil || !actions.isEmpty else {
            throw RuleError(path: "", message: "needs a reply or at least one action")
        }
    }

    /// Whether the contact's `message` has one of the keywords.
    func matches(message: String) -> Bool {
        keywords.contains { Folded.contains(message, phrase: $0) }
    }
}
