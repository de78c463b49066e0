import Foundation

/// An agent's `handoff_rules` (docs/agents.md): when the conversation goes to a human.
///
/// ```json
/// {"keywords": ["atendente", "humano", "falar com uma pessoa"], "intents": ["complaint"],
///  "max_ai_turns": 10, "negative_sentiment": true, "min_confidence": 0.5,
///  "business_hours": {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "18:00"},
///  "handoff_message": "Vou chamar um atendente."}
/// ```
struct HandoffRules: Sendable, Equatable {
    /// pt-BR phrases that ask for a person, used when the rules name no keywords.
    static let defaultKeywords = ["atendente", "humano", "falar com uma pessoa", "falar com alguém", "pessoa real"]
    static let defaultMessage =
        "Certo! Vou transferir você para um de nossos atendentes. Aguarde um momento, por favor."

    var keywords = Self.defaultKeywords
    var intents: [String] = []
    var maxAITurns: Int?
    var negativeSentiment = false
    var minConfidence: Double?
    var businessHours: BusinessHours?
    var message = Self.defaultMessage

    init() {}

    /// Parses and checks the rules; `{}` gives the defaults.
    init(text: String) throws(RuleError) {
        let reader = try RuleReader(text: text.isEmpty ? "{}" : text)
        try reader.only([
            "keywords", "intents", "max_ai_turns", "negative_sentiment", "min_confidence", "business_hours",
            "handoff_message",
        ])
        if let keywords = try reader.strings("keywords") { self.keywords = keywords }
        intents = try reader.strings("intents") ?? []
        maxAITurns = try reader.integer("max_ai_turns", in: 1...1000)
        negativeSentiment = try reader.bool("negative_sentiment") ?? false
        minConfidence = try reader.number("min_confidence", in: 0...1)
        if let hours = try reader.object("business_hours") { businessHours = try BusinessHours(hours) }
        if let message = try reader.string("handoff_message", maxLength: 1000), !message.isEmpty {
            self.message = message
        }
    }

    /// The keyword of the rules that `message` contains, if any.
    func keyword(in message: String) -> String? {
        keywords.first { Folded.contains(message, phrase: $0) }
    }
}

/// Opening hours: the days and the local time range the business has people working.
struct BusinessHours: Sendable, Equatable {
    static let dayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
    /// Calendar weekdays (1 = Sunday).
    var weekdays: Set<Int>
    /// Minutes since midnight.
    var start: Int
    var end: Int
    /// The zone, when it is not the organization's.
    var timeZone: TimeZone?

    init(_ reader: RuleReader) throws(RuleError) {
        try reader.only(["days", "start", "end", "time_zone"])
        let days = try reader.strings("days") ?? ["mon", "tue", "wed", "thu", "fri"]
        var weekdays = Set<Int>()
        for (index, day) in days.enumerated() {
            guard let position = Self.dayNames.firstIndex(of: day.lowercased()) else {
                throw RuleError(
                    path: "\(reader.at("days"))[\(index)]",
                    message: "must be one of \(Self.dayNames.joined(separator: ", "))")
            }
            weekdays.insert(position + 1)
        }
        self.weekdays = weekdays
        start = try Self.minutes(reader.string("start", required: true) ?? "", path: reader.at("start"))
        end = try Self.minutes(reader.string("end", required: true) ?? "", path: reader.at("end"))
        guard start < end else { throw RuleError(path: reader.at("end"), message: "must be after start") }
        if let zone = try reader.string("time_zone", maxLength: 64) {
            guard let timeZone = TimeZone(identifier: zone) else {
                throw RuleError(path: reader.at("time_zone"), message: "is not an IANA time zone")
            }
            self.timeZone = timeZone
        }
    }

    /// Whether `date` falls inside the hours, in `timeZone` unless the rules name their own.
    func contains(_ date: Date, timeZone organizationZone: TimeZone) -> Bool {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone ?? organizationZone
        let parts = calendar.dateComponents([.weekday, .hour, .minute], from: date)
        let minute = (parts.hour ?? 0) * 60 + (parts.minute ?? 0)
        return weekdays.contains(parts.weekday ?? 0) && minute >= start && minute < end
    }

    private static func minutes(_ text: String, path: String) throws(RuleError) -> Int {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let hour = Int(parts[0]), let minute = Int(parts[1]), parts[0].count == 2,
            parts[1].count == 2, (0...24).contains(hour), (0...59).contains(minute), hour * 60 + minute <= 24 * 60
        else { throw RuleError(path: path, message: "must be a time HH:MM (00:00 to 24:00)") }
        return hour * 60 + minute
    }
}
